"""`mentionscan digest`: email what is new since the last digest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    PublishedSinceOption,
    QuietOption,
    plural,
    say,
    stdout_is_terminal,
    workspace,
)
from mentionscan.errors import ConfigError


@app.command()
def digest(
    config: ConfigOption = None,
    db: DbOption = None,
    send: Annotated[
        bool, typer.Option("--send", help="Send it through the SMTP server of the email table.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the message to this .eml file.", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Every mention found since 24h, 7d or a date, sent before or not.",
            show_default=False,
        ),
    ] = None,
    published_since: PublishedSinceOption = None,
    always: Annotated[
        bool, typer.Option("--always", help='Send an "all quiet" email when nothing is new.')
    ] = False,
    no_mark: Annotated[
        bool, typer.Option("--no-mark", help="A preview: record nothing, the next digest repeats it.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Email the mentions no digest has carried yet, grouped by query, newest first.

    --send: through the SMTP server of the config's email table; --output FILE: into a file.

    Neither: the whole message on stdout, for `mentionscan digest | sendmail -t`.

    Mentions are marked as sent only once the message was accepted. Nothing new: no email, exit 0.
    """
    from mentionscan.delivery.mail import FileDelivery, SmtpDelivery, StreamDelivery
    from mentionscan.timeutil import parse_since

    if send and output is not None:
        raise ConfigError("--send and --output cannot be used together: choose one")
    ws = workspace(config, db, quiet=quiet)
    cfg = ws.config
    when = parse_since(since) if since else None
    if cfg.email is None:
        raise ConfigError(f"{cfg.path}: no [email] table: add one with 'to' and 'from' (see README)")
    preview = "--no-mark: nothing recorded"
    if send:
        delivery: SmtpDelivery | FileDelivery | StreamDelivery = SmtpDelivery(
            cfg.email, f"{cfg.path}: [email]"
        )
    elif output is not None:
        delivery = FileDelivery(output)
    else:
        delivery = StreamDelivery(sys.stdout.buffer)
        if not no_mark and stdout_is_terminal():
            # A message shown on a terminal was read by a person, not handed to a mail program.
            preview = "stdout is a terminal: nothing recorded; pipe it to sendmail -t, or use --send"
            no_mark = True
    delivery.prepare()
    published = parse_since(published_since) if published_since else None
    result = ws.digest(delivery, since=when, always=always, mark=not no_mark, published_since=published)
    if quiet:
        return
    count = plural(result.digest.count, "mention")
    if not result.delivered:
        say(
            f"No mentions found since {since}: no email."
            if since
            else "Nothing new since the last digest: no email."
        )
    elif no_mark:
        say(f"Digest of {count} {result.where} ({preview})")
    else:
        say(f"Digest of {count} {result.where}")
