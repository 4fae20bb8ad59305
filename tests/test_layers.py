"""The library's shape: data flows one way through the layers, no module imports itself in a
circle, and no module is too long to read in one sitting."""

from __future__ import annotations

import shutil
import subprocess
import sys

import grimp

from tests.conftest import ROOT

MAX_LINES = 400


def test_each_layer_imports_only_the_layers_below_it() -> None:
    # The contract (the layers, top to bottom) is in pyproject.toml, [tool.importlinter].
    command = shutil.which("lint-imports", path=str(ROOT / ".venv" / "bin")) or shutil.which("lint-imports")
    assert command, "import-linter is part of the test extra"
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Contracts: 1 kept, 0 broken." in done.stdout


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other in a circle (Tarjan's strongly connected parts)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return found


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = grimp.build_graph("mentionscan")
    graph.remove_import(importer="mentionscan", imported="mentionscan.workspace")  # the lazy façade export
    assert cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = grimp.build_graph("mentionscan")
    graph.remove_import(importer="mentionscan", imported="mentionscan.workspace")
    graph.add_import(importer="mentionscan.text", imported="mentionscan.models")  # models imports text
    assert any({"mentionscan.models", "mentionscan.text"} <= set(group) for group in cycles(graph))


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in (ROOT / "mentionscan").rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
