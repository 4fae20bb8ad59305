"""Answering the author: `reply` (a draft email) and `contact` (find how to reach them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import ConfigOption, DbOption, plural, say, warn, workspace, write_out
from mentionscan.cli.triage import DueOption, IdArgument, warn_if_past

OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]


@app.command()
def reply(
    mention_id: IdArgument,
    config: ConfigOption = None,
    db: DbOption = None,
    output: OutputOption = None,
    mailto: Annotated[bool, typer.Option("--mailto", help="Print a mailto: link instead.")] = False,
    mark_contacted: Annotated[
        bool, typer.Option("--mark", help="Set the status to contacted and log the draft.")
    ] = False,
    due: DueOption = None,
) -> None:
    """Draft an email to the author: the RFC 5322 message on stdout (for `| sendmail -t`).

    To: the author's address when known (see `contact`); From: reply_from in [settings];
    Subject: Re: the title; the body from `reply_template` in [settings] or the built-in
    template, which says the --due date. --due needs --mark.
    """
    from mentionscan.atomic import write_atomically

    ws = workspace(config, db)
    draft = ws.draft_reply(mention_id, record=mark_contacted, due=due)
    data = (draft.mailto() + "\n").encode() if mailto else draft.as_bytes()
    if output is not None:
        write_atomically(output.expanduser(), [data])
        say(f"Wrote {output}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    mention = draft.mention
    if draft.to is None:
        warn(f"no address known for the author: run `mentionscan contact {mention.id[:7]}`")
    if draft.from_key == "[email] from":
        warn(
            f"From: is the digest's address ({draft.message['From']}, [email] from); "
            "set reply_from in [settings] to answer as yourself"
        )
    elif not draft.from_key:
        # Left to the mail program, From: becomes this machine's user (root@host, say).
        warn("no From: address: set reply_from in [settings] to answer as yourself")
    if draft.passed_due is not None:
        from mentionscan.timeutil import local_date

        warn(
            f"the report-back date {local_date(draft.passed_due)} has passed: "
            "the draft says [date]; give --due for the new one"
        )
    if mark_contacted:
        changed = ws.get(mention.id)
        from mentionscan.timeutil import long_date

        by = f", report back by {long_date(changed.due)}" if changed.due else ""
        say(f"Marked {mention.id[:7]} contacted{by}.")
        if due is not None:
            warn_if_past(changed.due)


@app.command()
def contact(
    mention_id: IdArgument,
    config: ConfigOption = None,
    db: DbOption = None,
    github_api: Annotated[
        str,
        typer.Option("--github-api", help="GitHub API base URL (GitHub Enterprise, or a test server)."),
    ] = "https://api.github.com",
) -> None:
    """Look for the author's email and pages (feed, the page, their profile) and store them.

    At most 5 requests, with the same timeouts and limits as `fetch`.
    """
    from mentionscan.text import one_line

    mention, found = workspace(config, db).find_contact(mention_id, github_api=github_api)
    for problem in found.problems:
        warn(problem)

    def render(out: TextIO) -> None:
        for item in mention.contacts:
            out.write(
                f"{item['kind']:<6} {one_line(item['value'])}  (found at {one_line(item['found_at'])})\n"
            )

    write_out(render)
    pages = plural(len(found.pages), "request")
    if mention.author_email:
        say(f"Author's email: {mention.author_email} ({pages})")
    else:
        say(f"No email found for the author ({pages}).")
