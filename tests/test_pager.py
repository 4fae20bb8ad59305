"""Long output on a terminal goes through the pager; a pipe never does (tmux for the terminal)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hardening_tools import cli_env
from tests.terminal import Terminal, mentionscan_command, needs_tmux, run_in_terminal
from tests.test_tables import stored  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, needs_tmux]


def recording_pager(folder: Path) -> tuple[str, Path]:
    """A pager that writes what it was given to a file; the command and the file."""
    out = folder / "paged.txt"
    script = folder / "pager.sh"
    script.write_text(f"#!/bin/sh\ncat > '{out}'\n")
    script.chmod(0o755)
    return str(script), out


def test_output_taller_than_the_terminal_goes_to_the_pager(stored: Path, tmp_path: Path) -> None:  # noqa: F811
    pager, out = recording_pager(tmp_path)
    screen = run_in_terminal(
        ["list", "--config", str(stored)], width=80, height=5, env={"MENTIONSCAN_PAGER": pager}
    )
    assert screen.code == 0
    styled = out.read_text()
    assert "\x1b[" in styled  # written for the terminal: the pager gets the colours and links
    paged = re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", styled)
    assert paged.splitlines()[0].split()[:4] == ["id", "query", "source", "title"]
    assert len(paged.splitlines()) == 6
    assert not any(line.startswith("id ") for line in screen.lines)  # it went to the pager, not the screen


def test_short_output_and_pipes_get_no_pager(stored: Path, tmp_path: Path, isolated_home: Path) -> None:  # noqa: F811
    pager, out = recording_pager(tmp_path)
    screen = run_in_terminal(["list", "--config", str(stored)], width=80, height=30, env={"PAGER": pager})
    assert screen.code == 0 and any(line.startswith("id ") for line in screen.lines)
    assert not out.exists()
    piped = subprocess.run(
        [sys.executable, "-m", "mentionscan", "list", "--config", str(stored)],
        capture_output=True,
        text=True,
        env=cli_env(isolated_home, MENTIONSCAN_PAGER=pager, PAGER=pager, LINES="3"),
        timeout=60,
    )
    assert piped.returncode == 0 and piped.stdout.startswith("id ")
    assert not out.exists()


def test_less_shows_the_first_screen_and_q_quits(stored: Path) -> None:  # noqa: F811
    terminal = Terminal(80, 4, {"PAGER": "less"})
    try:
        terminal.start(mentionscan_command("list", "--config", str(stored)))
        shown = terminal.wait_for("id ")
        assert "__DONE__" not in shown  # less waits for the reader
        terminal.keys("q")
        assert terminal.finish().code == 0
    finally:
        terminal.close()
