"""The sources package keeps to its place in the data flow: it imports the config's records, the
matcher's query nodes and the shared records, never the config reader, the store, the run or the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

SOURCES = ROOT / "mentionscan" / "sources"
FORBIDDEN = ("mentionscan.config.load", "mentionscan.store", "mentionscan.fetching.run", "mentionscan.cli")


def test_importing_the_sources_loads_nothing_they_must_not_know() -> None:
    code = "import sys, mentionscan.sources; print('\\n'.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert not [m for m in loaded.split() if m.startswith(FORBIDDEN)]


def test_no_source_module_names_them_even_lazily() -> None:
    for path in SOURCES.glob("*.py"):
        imports = re.findall(
            r"^\s*(?:from|import) (mentionscan[\w.]*)", path.read_text(encoding="utf-8"), re.M
        )
        assert not [name for name in imports if name.startswith(FORBIDDEN)], path.name


def test_every_module_reads_in_one_sitting() -> None:
    for path in SOURCES.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path.name
