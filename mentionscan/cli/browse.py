"""`open`: a mention's page in the browser (`$BROWSER`, else the system's)."""

from __future__ import annotations

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import ConfigOption, DbOption, say, workspace
from mentionscan.cli.triage import IdArgument
from mentionscan.errors import MentionscanError


@app.command("open")
def open_(mention_id: IdArgument, config: ConfigOption = None, db: DbOption = None) -> None:
    """Open a mention's page in the browser ($BROWSER, else the system's); its URL is printed too."""
    import webbrowser

    from mentionscan.text import one_line
    from mentionscan.urls import safe_link

    mention = workspace(config, db).get(mention_id)
    link = safe_link(mention.url)
    if not link:  # only http and https: a stored link from the web never starts a program
        raise MentionscanError(f"mention {mention.id[:7]} has no http or https link to open")
    typer.echo(link)
    say(f"Opening {mention.id[:7]}: {one_line(mention.title)[:60]}")
    try:
        opened = webbrowser.open(link)
    except webbrowser.Error:
        opened = False
    if not opened:
        raise MentionscanError("no browser could be started: set $BROWSER, or open the link printed above")
