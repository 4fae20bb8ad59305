"""The real `mentionscan inbox` in tmux: keys sent, the screen read, then the database checked."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.inbox.tools import MENTIONS, stored, write_database

pytestmark = pytest.mark.slow


class Terminal:
    """One tmux session on a tmux server of the test's own (the user's sessions are never touched)."""

    def __init__(self, socket: Path, name: str) -> None:
        self.tmux = ["tmux", "-S", str(socket)]
        self.name = name

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)  # one key at a time, as a person types

    def screen(self) -> str:
        done = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def wait_for(self, holds: Callable[[str], bool], timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if holds(screen := self.screen()):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"the screen never showed it:\n{self.screen()}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed for the real-terminal test (apt-get install tmux)")
    socket = tmp_path / "tmux.sock"

    def start(command: str, env: dict[str, str]) -> Terminal:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"env {exports} {command}; echo EXITED $?; sleep 60"
        new = ["new-session", "-d", "-s", "inbox", "-x", "80", "-y", "24", shell]
        subprocess.run(["tmux", "-S", str(socket), *new], check=True)
        return Terminal(socket, "inbox")

    yield start
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True)


def test_the_real_inbox_in_a_terminal(tmp_path, terminal):
    config = write_database(tmp_path)
    command = f"{shlex.quote(sys.executable)} -m mentionscan inbox --config {shlex.quote(str(config))}"
    editor = tmp_path / "editor.py"  # a fake $EDITOR: signs the draft
    editor.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\np.write_text(p.read_text() + 'Sam')\n"
    )
    env = {
        "MENTIONSCAN_HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(Path.cwd()),
        "EDITOR": f"{sys.executable} {editor}",
    }
    screen = terminal(command, env)
    first = screen.wait_for(lambda s: "4 mentions" in s and "Acme broke my build" in s)
    assert "[bold red]Acme[/] [link=" in first  # web text as text, in a real terminal too
    screen.keys("t")  # the first: todo
    screen.wait_for(lambda s: f"Marked {MENTIONS[0].id[:7]} todo" in s)
    screen.keys("j", "x")  # the third (the cursor moved on to the second): resolved
    screen.wait_for(lambda s: "resolved" in s)
    screen.keys("n", *"ping", "Enter")
    screen.wait_for(lambda s: "Noted on" in s)
    screen.keys("R")  # the editor has the terminal, then the screen is back with the question
    screen.wait_for(lambda s: "To:      Writer 2 <writer2@example.org>" in s and "k: keep it as .eml" in s)
    screen.keys("k")
    screen.wait_for(lambda s: "Reply kept in" in s)
    screen.keys("q")
    screen.wait_for(lambda s: "EXITED 0" in s)
    assert stored(config, MENTIONS[0].id).status == "todo"
    assert stored(config, MENTIONS[2].id).status == "resolved"
    hostile = stored(config, MENTIONS[4].id)  # the cursor moved on again
    assert [e.kind for e in hostile.timeline[-3:]] == ["note", "draft", "status"]
    assert hostile.status == "contacted"
    (kept,) = (tmp_path / "replies").glob("*.eml")
    assert kept.read_text().endswith("Sam")
