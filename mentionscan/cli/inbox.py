"""`inbox`: the interactive screen (Textual is imported only when it runs, never for `--help`)."""

from __future__ import annotations

import sys

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import ConfigOption, DbOption, Selection, selection_options, workspace
from mentionscan.errors import ConfigError


@app.command()
@selection_options()
def inbox(selection: Selection, config: ConfigOption = None, db: DbOption = None) -> None:
    """Read and answer mentions on one screen: new and todo first (the filters of `list`).

    j/k move, t todo, c contacted, r replied, x resolved, i ignored, u undo, n note, d due date,
    f find contact, R reply in $EDITOR, / search, s status, space select, g refresh, ? help,
    q quit. Every change is saved at once.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError("inbox needs a terminal; `mentionscan list` prints the same mentions")
    from mentionscan.inbox import start

    ws = workspace(config, db)
    ws.notice = None  # the screen is Textual's: nothing may print under it
    screen = start(ws, selection.filter(open_only=True))
    screen.run()
    if screen.error is not None:
        raise screen.error
    if screen.return_code:
        raise typer.Exit(screen.return_code)
