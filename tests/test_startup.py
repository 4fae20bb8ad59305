"""Start-up: `mentionscan --help` (and each command's help) imports none of the heavy modules.

requests, feedparser, tinydb, smtplib and email.mime together cost more than the rest of the
start-up; commands import them when they run. This is a test of what is imported (seen through
`python -X importtime`), not of time: timing lives in bench/startup.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "requests",
    "urllib3",
    "feedparser",
    "tinydb",
    "orjson",
    "smtplib",
    "email.mime",
    "sqlite3",
    "apprise",
    "textual",
)


def imported_modules(*args: str, home: Path) -> set[str]:
    """Every module `mentionscan ARGS` imports, as `python -X importtime` reports them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MENTIONSCAN_HOME": str(home), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mentionscan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    assert "mentionscan.cli" in modules  # the trace is real: it saw the CLI being imported
    return modules


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_imports_no_heavy_module(tmp_path):
    modules = imported_modules("--help", home=tmp_path)
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    "command", ["fetch", "list", "digest", "db migrate", "reply", "doctor", "notify", "inbox"]
)
def test_a_commands_help_imports_no_heavy_module(tmp_path, command):
    assert heavy_in(imported_modules(*command.split(), "--help", home=tmp_path)) == []


def test_the_check_sees_a_heavy_import(tmp_path):
    # A command that opens the database does import the store's modules: the checks above can fail.
    db = tmp_path / "m.json"
    assert heavy_in(imported_modules("db", "info", "--db", str(db), home=tmp_path)) == []  # no file yet
    db.write_text('{"_meta": {"1": {"schema": 1}}}')
    assert {"orjson", "tinydb"} <= set(
        heavy_in(imported_modules("db", "info", "--db", str(db), home=tmp_path))
    )
