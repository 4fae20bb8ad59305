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
    workspace,
)
from mentionscan.errors import ConfigError


@app.command()
def digest(
    config: ConfigOption = None,
    db: DbOption = None,
    send: Annotated[
        bool,
        typer.Option("--send", help="Send it: through the email table's SMTP server or sendmail program."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the message to this .eml file."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Every mention found since 24h, 7d or a date, sent before or not."),
    ] = None,
    published_since: PublishedSinceOption = None,
    always: Annotated[
        bool, typer.Option("--always", help='Send an "all quiet" email when nothing is new.')
    ] = False,
    mark: Annotated[
        bool | None,
        typer.Option(
            "--mark/--no-mark",
            help="Record the mentions as sent (the default with --send only); --no-mark: record nothing.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Email the mentions no digest has carried yet, grouped by query, newest first.

    --send: through the SMTP server of the config's email table, or the mail program its
    `sendmail` names; the mentions are marked as sent once it accepted the message.

    Without --send it is a preview that marks nothing: the message on stdout (on a terminal,
    its text), or in the --output file. --mark records a preview as sent too. Nothing new: no
    email, exit 0.
    """
    from mentionscan.delivery.mail import FileDelivery, SendmailDelivery, SmtpDelivery, StreamDelivery
    from mentionscan.timeutil import parse_since

    if send and output is not None:
        raise ConfigError("--send and --output cannot be used together: choose one")
    ws = workspace(config, db, quiet=quiet)
    cfg = ws.config
    when = parse_since(since) if since else None
    if cfg.email is None:
        raise ConfigError(f"{cfg.path}: no [email] table: add one with 'to' and 'from' (see README)")
    where = f"{cfg.path}: [email]"
    marking = send if mark is None else mark
    delivery: SmtpDelivery | SendmailDelivery | FileDelivery | StreamDelivery
    # A person at a terminal reads the text; a pipe gets the whole message, for a program.
    shown = not send and output is None and not marking and sys.stdout.isatty()
    if send:
        transport = SendmailDelivery if cfg.email.sendmail else SmtpDelivery
        delivery = transport(cfg.email, where)
    elif output is not None:
        delivery = FileDelivery(output)
    else:
        delivery = StreamDelivery(sys.stdout.buffer, preview=not marking, readable=shown)
    delivery.prepare()
    published = parse_since(published_since) if published_since else None
    result = ws.digest(delivery, since=when, always=always, mark=marking, published_since=published)
    if quiet:
        return
    count = plural(result.digest.count, "mention")
    if result.elsewhere is not None:
        sent = result.elsewhere
        say(f"Another machine sent the digest meanwhile ({sent.count} mentions, {sent.where}): no email.")
    elif not result.delivered:
        say(
            f"No mentions found since {since}: no email."
            if since
            else "Nothing new since the last digest: no email."
        )
    elif marking:
        say(f"Digest of {count} {result.where}")
    elif shown:
        say(
            f"Digest of {count} shown: its text, a preview that records nothing "
            "(--output FILE.eml for the whole message; --send sends and records it)"
        )
    elif send:
        say(f"Digest of {count} {result.where} (--no-mark: nothing recorded, the next digest repeats it)")
    else:
        say(f"Digest of {count} {result.where} (a preview: nothing recorded; --send sends and records it)")
