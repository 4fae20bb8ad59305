"""`mentionscan` (the console script) and `python -m mentionscan`."""

from __future__ import annotations

import sys


def run() -> None:
    # Ctrl-C while the command line's modules are still loading (the first half second) ends
    # the command as it does later: exit 130, no traceback. Nothing has been read or saved yet.
    try:
        from mentionscan.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted: nothing from this command was saved\n")
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
