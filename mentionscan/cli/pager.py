"""Long output on a terminal goes through a pager, as git's does; a pipe or a file never does.

The pager is `$MENTIONSCAN_PAGER`, else `$PAGER`, else `less` when it is installed; an empty
value (or `cat`) turns paging off. `less` gets `LESS=FRX` unless the user set `LESS`: quit when
the text fits one screen, keep colours and links, leave the text on the screen after.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

from mentionscan.errors import Terminated

ENV_PAGER = "MENTIONSCAN_PAGER"


def pager_command() -> list[str] | None:
    """The pager to run, or None for none."""
    for name in (ENV_PAGER, "PAGER"):
        if name in os.environ:
            words = shlex.split(os.environ[name])
            return words if words and words[0] != "cat" else None
    found = shutil.which("less")
    return [found] if found else None


def wants_pager(text: str) -> bool:
    """Whether `text` should be paged: stdout is a terminal and it is taller than the screen."""
    if not sys.stdout.isatty():
        return False
    rows = shutil.get_terminal_size().lines
    return text.count("\n") >= rows


def page(text: str) -> bool:
    """Show `text` in the pager; False when there is none to run (the caller prints it)."""
    command = pager_command()
    if command is None:
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8", "replace"))
        process.stdin.close()
    except BrokenPipeError:
        pass  # the reader quit the pager before the end: that is not an error
    while True:
        try:
            process.wait()
            return True
        except Terminated:
            process.terminate()
            raise
        except KeyboardInterrupt:
            # Ctrl-C in `less` stops a search, not the pager: keep waiting, as git does.
            continue
