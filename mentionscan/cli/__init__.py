"""The `mentionscan` command line: thin commands over the `Workspace`; errors become one line."""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import typer
from typer.main import get_command_name

# Each module adds its commands to `app` when imported.
from mentionscan.cli import (  # noqa: F401
    browse,
    config,
    core,
    db,
    digest,
    feeds,
    inbox,
    notify,
    queries,
    reply,
    sources,
    transfer,
    triage,
)
from mentionscan.cli.app import app, silence_stdout
from mentionscan.cli.common import error_line
from mentionscan.errors import ExitCode, Terminated, interrupt_code

__all__ = ["app", "main"]


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # `python -m mentionscan` too: its usage lines, its completion
        _app_for(sys.argv[1:])(prog_name="mentionscan")
    except BrokenPipeError:
        silence_stdout()
        sys.exit(0)
    except KeyboardInterrupt as exc:  # before a command started (typer building it): nothing done
        error_line("interrupted: nothing from this command was saved")
        _interrupted(interrupt_code(exc))
    except SystemExit as exc:
        if exc.code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
            _interrupted(exc.code)
        raise


def _app_for(args: Sequence[str]) -> typer.Typer:
    """The app with only the command `args` name, when they name one: typer makes every
    command's click form at each start (28 ms for all 66), and a command needs only its own.

    The whole app for everything else: no command, an option first (`--help`, `--version`), a
    name that is no command (click's "did you mean"), and shell completion.
    """
    if not args or os.environ.get("_MENTIONSCAN_COMPLETE"):
        return app
    commands = [
        c
        for c in app.registered_commands
        if c.callback and (c.name or get_command_name(c.callback.__name__)) == args[0]
    ]
    groups = [g for g in app.registered_groups if g.name == args[0]]
    if len(commands) + len(groups) != 1:
        return app
    lean = copy.copy(app)  # the registries are replaced, not changed: `app` stays whole
    lean.registered_commands = commands
    lean.registered_groups = groups
    return lean


def _interrupted(code: int) -> None:
    # What had to be saved is saved and said. A thread still blocked in a request or a
    # library call must not hold the exit up (Python would join it).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(int(code))


def _terminate(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()
