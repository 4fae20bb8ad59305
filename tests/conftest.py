"""Shared test fixtures: an isolated home, the CLI runner, config writing, the shared data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mentionscan.cli import app
from mentionscan.cli.common import reset_consoles
from mentionscan.masking import forget_all

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"  # documents written for these tests
# Third-party test data stays in ../shared/, beside the checkout (CI always has it): the sites'
# real responses (provenance in fixtures/SOURCES.txt), other projects' recorded responses, and
# other feed readers' test documents. Tests that read it carry the `shared` mark; without the
# folder they are deselected, with one line that says so, and the rest run.
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
REALWORLD = SHARED / "realworld"
CORPUS = SHARED / "feeds" / "feedparser-tests"
PEERS = SHARED / "feeds" / "peers"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED.is_dir():
        return
    needing = [item for item in items if item.get_closest_marker("shared")]
    if needing:
        config.hook.pytest_deselected(items=needing)
        items[:] = [item for item in items if not item.get_closest_marker("shared")]
        config.stash[_DESELECTED] = len(needing)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if count := config.stash.get(_DESELECTED, 0):
        terminalreporter.write_line(
            f"{SHARED} not found beside the checkout: {count} tests that read it were deselected"
        )


_DESELECTED = pytest.StashKey[int]()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own MENTIONSCAN_HOME, and never sees the real user's config or database."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MENTIONSCAN_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in ("MENTIONSCAN_CONFIG", "MENTIONSCAN_DB", "MENTIONSCAN_TRACEBACK", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    # Proxies from the developer's environment must not route test traffic anywhere.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    reset_consoles()
    yield home
    reset_consoles()
    forget_all()  # the secrets one test read are not another test's


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver listens on 127.0.0.1 and its URLs say so (its default is "localhost")."""
    return ("127.0.0.1", 0)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


class Cli:
    """Runs `mentionscan ARGS` in-process and keeps stdout and stderr apart."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        reset_consoles()
        result = self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        reset_consoles()
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        """The JSON `mentionscan ARGS` prints, after checking it exited with `code`."""
        result = self(*args)
        assert result.exit_code == code, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(runner: CliRunner) -> Cli:
    return Cli(runner)


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config with the given queries {name: match} and sources [{name, type, ...}]."""

    def write(
        queries: dict[str, str],
        sources: list[dict[str, Any]],
        settings: dict[str, Any] | None = None,
        extra: str = "",
        name: str = "config.toml",
    ) -> Path:
        lines = ["[settings]"]
        for key, value in {"database": "mentions.json", "max_age_days": 0, **(settings or {})}.items():
            lines.append(f"{key} = {json.dumps(value)}")
        for query_name, match in queries.items():
            lines += ["", "[[queries]]", f"name = {toml_string(query_name)}", f"match = {toml_string(match)}"]
        for source in sources:
            lines += ["", "[[sources]]"]
            lines += [f"{key} = {json.dumps(value)}" for key, value in source.items()]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        return path

    return write


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()
