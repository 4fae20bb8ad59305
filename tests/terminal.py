"""A real terminal for tests: a detached tmux session of a given size, read with `capture-pane`.

Each call starts its own tmux server (its own socket, no user config), runs one shell command
in it, waits for it to end and returns what the screen shows, so a test sees exactly what a
person at a terminal of that width would: wrapped lines, colours dropped, a pager's screen.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

DONE = "__DONE__"
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@dataclass
class Screen:
    lines: list[str]  # the screen's lines up to the end marker, right-trimmed
    code: int | None  # the command's exit status (None: it had not ended)


class Terminal:
    """One tmux server with one window of `width` x `height`."""

    def __init__(self, width: int, height: int = 40, env: dict[str, str] | None = None) -> None:
        self.socket = f"mentionscan-test-{uuid.uuid4().hex[:12]}"
        self.width, self.height = width, height
        base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX", "NO_COLOR")}
        self.env = {**base, **(env or {})}

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=check,
        )
        return done.stdout

    def start(self, command: str) -> None:
        script = f"{command}; echo {DONE}$?; sleep 60"
        self.tmux(
            "new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height), "sh", "-c", script
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def finish(self, timeout: float = 30) -> Screen:
        shown = self.wait_for(DONE, timeout)
        lines = [line.rstrip() for line in shown.splitlines()]
        end = next(i for i, line in enumerate(lines) if line.startswith(DONE))
        return Screen(lines[:end], int(lines[end].removeprefix(DONE) or -1))

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def mentionscan_command(*args: str) -> str:
    """The shell command that runs `mentionscan ARGS` with this interpreter."""
    return shlex.join([sys.executable, "-m", "mentionscan", *args])


def run_in_terminal(
    args: Sequence[str], *, width: int, height: int = 40, env: dict[str, str] | None = None
) -> Screen:
    """`mentionscan ARGS` in a terminal of `width` x `height`; what the screen shows at its end."""
    terminal = Terminal(width, height, env)
    try:
        terminal.start(mentionscan_command(*args))
        return terminal.finish()
    finally:
        terminal.close()
