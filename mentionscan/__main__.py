"""`mentionscan` (the console script) and `python -m mentionscan`."""

from __future__ import annotations

import gc
import sys


def run() -> None:
    # Ctrl-C while the command line's modules are still loading (the first half second) ends
    # the command as it does later: exit 130, no traceback. Nothing has been read or saved yet.
    try:
        from mentionscan.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted: nothing from this command was saved\n")
        raise SystemExit(130) from None
    try:
        main()
    finally:
        _leave_to_the_os()


def _leave_to_the_os() -> None:
    """The command is done and the process ends: what it allocated is the OS's to take back.

    CPython's shutdown would first collect every object of every module loaded (requests,
    lxml, psycopg, rich...), over and over as it clears them: 0.1–0.2 s of a command that takes
    half a second. Frozen, those objects are out of the collector's reach, and the shutdown
    still does all that matters: threads joined, `atexit` handlers run, files flushed and closed.
    Everything this command opened (the store, its lock, the HTTP client) was closed by the
    `with` that opened it, not left to a collection.
    """
    gc.freeze()


if __name__ == "__main__":
    run()
