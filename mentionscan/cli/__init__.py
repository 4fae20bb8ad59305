"""The `mentionscan` command line: thin commands over the `Workspace`; errors become one line."""

from __future__ import annotations

import sys

# Each module adds its commands to `app` when imported.
from mentionscan.cli import (  # noqa: F401
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

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        silence_stdout()
        sys.exit(0)
