"""The `mentionscan` command line: thin commands over the `Workspace`; errors become one line."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

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
        app(prog_name="mentionscan")  # `python -m mentionscan` too: its usage lines, its completion
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
