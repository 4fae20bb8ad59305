"""Deciding what to do with mentions: `mark`, `note`, `show`, `followups`, `search`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    DetailFormat,
    LimitOption,
    RowsFormat,
    Selection,
    WideOption,
    plural,
    say,
    selection_options,
    show_mentions,
    warn,
    workspace,
    write_out,
)
from mentionscan.delivery.formats import Format, render_detail
from mentionscan.errors import ConfigError

if TYPE_CHECKING:
    from datetime import datetime

    from mentionscan.followup.triage import Change

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")]
DueOption = Annotated[
    str | None,
    typer.Option(
        "--due", help="Report back by: today, tomorrow, friday, 3d, 1w, a date (2026-06-01), or none."
    ),
]


@app.command()
@selection_options()
def mark(
    args: Annotated[
        list[str],
        typer.Argument(metavar="ID... STATUS", help="Ids (or unique prefixes), then the new status."),
    ],
    selection: Selection,
    config: ConfigOption = None,
    db: DbOption = None,
    note: Annotated[str | None, typer.Option("--note", help="Add this note too.")] = None,
    due: DueOption = None,
) -> None:
    """Set the status of mentions, by id or by the filters of `list`.

    `mark ID... STATUS`, or `mark --query Q --source S STATUS`.

    The last argument is the status: new, todo, contacted, replied, resolved or ignored.
    With ids, those mentions; without, what `list` with the same filters shows (new and todo
    unless --status or --all). A bulk mark needs at least one of --status, --query, --source
    or --since. Every change is logged on the mention's timeline.
    """
    from mentionscan.models import STATUSES

    *ids, new_status = args
    if new_status not in STATUSES:
        hint = f" (put it last: mark {' '.join(args[1:])} {args[0]})" if args[0] in STATUSES else ""
        raise ConfigError(
            f"the last argument must be a status ({', '.join(STATUSES)}), not {new_status!r}{hint}"
        )
    filters = selection.given
    if ids and (filters or selection.show_all or selection.limit):
        raise ConfigError("give ids or filters (--status, --query, --source, --since), not both")
    if not ids and not filters:
        raise ConfigError(
            "no mention chosen: give ids, or filters (--status, --query, --source, --since) "
            "to mark what `list` shows with them"
        )
    chosen = selection.filter(open_only=True)
    ws = workspace(config, db)
    ws.check_names(queries=chosen.queries, sources=chosen.sources)
    changes = ws.mark(new_status, ids, selection=chosen, note=note, due=due)
    report_changes(changes, new_status)


def report_changes(changes: list[Change], new_status: str) -> None:
    from mentionscan.followup.triage import due_cell
    from mentionscan.text import one_line, truncate
    from mentionscan.timeutil import local_date

    for change in changes[:20]:
        before, after = change.before, change.after
        what = f"{before.status} -> {after.status}" if before.status != after.status else after.status
        if after.due != before.due:
            what += f", due {local_date(after.due)} ({due_cell(after.due)})" if after.due else ", no due date"
        say(f"{after.id[:7]}  {what}  {truncate(one_line(after.title), 60)}")
    if len(changes) > 20:
        say(f"... and {len(changes) - 20} more")
    say(f"Marked {plural(len(changes), 'mention')} {new_status}." if changes else "Nothing changed.")
    if changes:
        warn_if_past(changes[0].after.due)


def warn_if_past(due: datetime | None) -> None:
    """A report-back date before today is most often a typo (the month, the year): say so."""
    from mentionscan.followup.triage import due_cell, is_past
    from mentionscan.timeutil import local_date

    if due is not None and is_past(due):
        warn(f"the due date {local_date(due)} is already past ({due_cell(due)}): followups lists it now")


@app.command()
def note(
    mention_id: IdArgument,
    text: Annotated[str, typer.Argument(help="The note.")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Add a note to a mention's timeline."""
    changed = workspace(config, db).note(mention_id, text)
    say(f"Noted on {changed.id[:7]}.")


@app.command()
def show(
    mention_id: IdArgument, config: ConfigOption = None, db: DbOption = None, fmt: DetailFormat = Format.text
) -> None:
    """Print one mention whole: record, timeline, due date, contacts and the author's history."""
    detail = workspace(config, db).show(mention_id)
    write_out(lambda out: render_detail(fmt, detail, out))


@app.command()
def followups(
    config: ConfigOption = None, db: DbOption = None, fmt: RowsFormat = Format.table, wide: WideOption = False
) -> None:
    """Mentions whose report-back date (--due) is past or today, oldest first."""
    from mentionscan.followup.triage import due_cell

    mentions = workspace(config, db).followups()
    extra = {"status": [m.status for m in mentions], "due": [due_cell(m.due) for m in mentions]}
    show_mentions(fmt, mentions, extra, wide=wide)
    if not mentions and fmt is Format.table:
        say("Nothing due: no promise to keep today.")


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words to look for (any case, any accents).")],
    config: ConfigOption = None,
    db: DbOption = None,
    limit: LimitOption = None,
    fmt: RowsFormat = Format.table,
    wide: WideOption = False,
) -> None:
    """Stored mentions (any status) whose title, text, author, notes or contacts hold every word."""
    found = workspace(config, db).search(text, limit=limit)
    show_mentions(fmt, found, {"status": [m.status for m in found]}, wide=wide)
    if not found and fmt is Format.table:
        say("No stored mention holds those words.")
