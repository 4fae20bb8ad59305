"""Following mentions up: `mark`, `note`, `show`, `reply`, `followups`, `contact`, `explain`,
`test-query`, `search`, `export`."""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from mentionscan.cli import app
from mentionscan.cli.common import (
    AllOption,
    ConfigOption,
    DbOption,
    FormatOption,
    LimitOption,
    QueryFilterOption,
    SinceOption,
    SourceFilterOption,
    StatusOption,
    config_or_none,
    database,
    error_line,
    load_config,
    make_filter,
    say,
    warn,
    write_out,
)
from mentionscan.delivery.formats import Format, write_mentions
from mentionscan.errors import ConfigError

if TYPE_CHECKING:
    from mentionscan.config.model import Config
    from mentionscan.followup.triage import AuthorHistory
    from mentionscan.models import Mention

DEFAULT_LOCK_TIMEOUT = 60.0
DueOption = Annotated[
    str | None,
    typer.Option("--due", help="Report back by: 3d, 1w, a date (2026-06-01), or none.", show_default=False),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file.", show_default=False)
]


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


def _lock_timeout(cfg: Config | None) -> float:
    return cfg.settings.lock_timeout if cfg is not None else DEFAULT_LOCK_TIMEOUT


@app.command()
def mark(
    args: Annotated[
        list[str],
        typer.Argument(metavar="ID... STATUS", help="Ids (or unique prefixes), then the new status."),
    ],
    config: ConfigOption = None,
    db: DbOption = None,
    note: Annotated[str | None, typer.Option("--note", help="Add this note too.", show_default=False)] = None,
    due: DueOption = None,
    status: StatusOption = None,
    query: QueryFilterOption = None,
    source: SourceFilterOption = None,
    since: SinceOption = None,
    limit: LimitOption = None,
    show_all: AllOption = False,
) -> None:
    """Set the status of mentions: `mark ID... STATUS`, or `mark --query Q --source S STATUS`.

    The last argument is the status: new, todo, contacted, replied, resolved or ignored.
    With ids, those mentions; without, what `list` with the same filters shows (new and todo
    unless --status or --all). A bulk mark needs at least one of --status, --query, --source
    or --since. Every change is logged on the mention's timeline.
    """
    from mentionscan.followup.triage import mark_in_store
    from mentionscan.models import STATUSES
    from mentionscan.store.filter import statuses_for

    *ids, new_status = args
    if new_status not in STATUSES:
        hint = f" (put it last: mark {' '.join(args[1:])} {args[0]})" if args[0] in STATUSES else ""
        raise ConfigError(
            f"the last argument must be a status ({', '.join(STATUSES)}), not {new_status!r}{hint}"
        )
    filters = any((status, query, source, since))
    if ids and (filters or show_all or limit):
        raise ConfigError("give ids or filters (--status, --query, --source, --since), not both")
    if not ids and not filters:
        raise ConfigError(
            "no mention chosen: give ids, or filters (--status, --query, --source, --since) "
            "to mark what `list` shows with them"
        )
    selection = make_filter(query, source, since, limit, statuses_for(status, show_all))
    cfg = config_or_none(config, db)
    changes = mark_in_store(
        database(cfg, db),
        new_status,
        ids=ids,
        selection=selection,
        note=note,
        due=due,
        lock_timeout=_lock_timeout(cfg),
    )
    _report_changes(changes, new_status)


def _report_changes(changes: list[tuple[Mention, Mention]], new_status: str) -> None:
    from mentionscan.text import one_line, truncate

    for before, after in changes[:20]:
        what = f"{before.status} -> {after.status}" if before.status != after.status else after.status
        say(f"{after.id[:7]}  {what}  {truncate(one_line(after.title), 60)}")
    if len(changes) > 20:
        say(f"... and {len(changes) - 20} more")
    noun = "mention" if len(changes) == 1 else "mentions"
    say(f"Marked {len(changes)} {noun} {new_status}." if changes else "Nothing changed.")


@app.command()
def note(
    mention_id: Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Add a note to a mention's timeline."""
    from mentionscan.followup.triage import note_in_store

    cfg = config_or_none(config, db)
    changed = note_in_store(database(cfg, db), mention_id, text, lock_timeout=_lock_timeout(cfg))
    say(f"Noted on {changed.id[:7]}.")


@app.command()
def show(
    mention_id: Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")],
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="text for a person, json.")
    ] = ShowFormat.text,
) -> None:
    """Print one mention whole: record, timeline, due date, contacts and the author's history."""
    from mentionscan.followup.triage import show_in_store, show_record

    cfg = config_or_none(config, db)
    mention, history = show_in_store(database(cfg, db), mention_id)
    if fmt is ShowFormat.json:
        write_out(
            lambda out: out.write(
                json.dumps(show_record(mention, history), ensure_ascii=False, indent=2) + "\n"
            )
        )
    else:
        write_out(lambda out: _write_show(mention, history, out))


def _write_show(mention: Mention, history: AuthorHistory, out: TextIO) -> None:
    from mentionscan.followup.triage import ago, due_cell, timeline_lines
    from mentionscan.text import clean, one_line
    from mentionscan.timeutil import to_iso

    def line(label: str, value: object) -> None:
        if value:
            out.write(f"{label + ':':<10} {one_line(value)}\n")

    due = f"{to_iso(mention.due)} ({due_cell(mention.due)})" if mention.due else ""
    out.write(f"{mention.id}  {mention.status}\n{one_line(mention.title) or '(no title)'}\n")
    line("url", mention.url)
    line("due", due)
    line("source", f"{mention.source} ({mention.source_type})")
    line("queries", ", ".join(mention.queries))
    line("published", to_iso(mention.published))
    line("found", to_iso(mention.found_at))
    author = " ".join(filter(None, [mention.author, mention.author_email and f"<{mention.author_email}>"]))
    line("author", " ".join(filter(None, [author, mention.author_url])))
    who = "author" if history.key.startswith("author:") else "site"
    contacted = (
        f"last contacted {to_iso(history.last_contacted)} ({ago(history.last_contacted)})"
        if history.last_contacted
        else "never contacted"
    )
    noun = "mention" if history.mentions == 1 else "mentions"
    line("history", f"{history.mentions} {noun} from this {who} stored; {contacted}")
    if mention.snippet:
        out.write(f"\n{one_line(mention.snippet)}\n")
    if mention.contacts:
        out.write("\ncontacts:\n")
        for contact in mention.contacts:
            out.write(f"  {contact.get('kind', ''):<6} {one_line(contact.get('value'))}")
            out.write(f"  (found at {one_line(contact.get('found_at'))})\n")
    out.write("\ntimeline:\n")
    for event, text in timeline_lines(mention):
        first, *rest = clean(text).splitlines() or [""]
        out.write(f"  {to_iso(event.at)}  {event.kind:<8} {first}\n")
        out.writelines(f"{'':33}{row}\n" for row in rest)


@app.command()
def reply(
    mention_id: Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")],
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

    To: the author's address when known (see `contact`); Subject: Re: the title; the body
    from `reply_template` in [settings] or the built-in template. --due needs --mark.
    """
    from mentionscan.delivery.formats.documents import write_file
    from mentionscan.followup.reply import draft_reply, load_template
    from mentionscan.followup.triage import find, record_draft
    from mentionscan.timeutil import to_iso

    if due is not None and not mark_contacted:
        raise ConfigError("--due needs --mark (the report-back date is set when you write)")
    cfg = config_or_none(config, db)
    location = database(cfg, db)
    mention = find(location, mention_id)
    template = load_template(cfg.settings.reply_template if cfg else None)
    sender = cfg.email.sender if cfg is not None and cfg.email is not None else None
    draft = draft_reply(mention, template, sender=sender)
    data = (draft.mailto() + "\n").encode() if mailto else draft.as_bytes()
    if output is not None:
        write_file(output, data)
        say(f"Wrote {output}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if draft.to is None:
        warn(f"no address known for the author: run `mentionscan contact {mention.id[:7]}`")
    if mark_contacted:
        changed = record_draft(
            location, mention.id, draft.log_text(), due=due, lock_timeout=_lock_timeout(cfg)
        )
        by = f", report back by {to_iso(changed.due)}" if changed.due else ""
        say(f"Marked {mention.id[:7]} contacted{by}.")


@app.command()
def followups(
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Mentions whose report-back date (--due) is past or today, oldest first."""
    from mentionscan.followup.triage import due_cell
    from mentionscan.followup.triage import followups as due_mentions
    from mentionscan.store import open_store

    cfg = config_or_none(config, db)
    with open_store(database(cfg, db), write=False) as store:
        mentions = due_mentions(store.mentions())
    extra = {"status": [m.status for m in mentions], "due": [due_cell(m.due) for m in mentions]}
    write_out(lambda out: write_mentions(mentions, fmt, out, extra=extra))
    if not mentions and fmt is Format.table:
        say("Nothing due: no promise to keep today.")


@app.command()
def contact(
    mention_id: Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")],
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
    from mentionscan.followup.contact import discover
    from mentionscan.text import one_line

    cfg = config_or_none(config, db)
    mention, found = discover(cfg, database(cfg, db), mention_id, github_api=github_api)
    for problem in found.problems:
        warn(problem)

    def render(out: TextIO) -> None:
        for item in mention.contacts:
            out.write(
                f"{item['kind']:<6} {one_line(item['value'])}  (found at {one_line(item['found_at'])})\n"
            )

    write_out(render)
    pages = len(found.pages)
    if mention.author_email:
        say(f"Author's email: {mention.author_email} ({pages} requests)")
    else:
        say(f"No email found for the author ({pages} requests).")


@app.command()
def explain(
    mention_id: Annotated[str, typer.Argument(metavar="ID", help="The mention's id or a unique prefix.")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Which query matched a mention, in which field, on which words."""
    from mentionscan.followup.triage import find
    from mentionscan.matching.explain import explain as explain_mention
    from mentionscan.text import one_line

    cfg = load_config(config)
    mention = find(database(cfg, db), mention_id)
    explanations = explain_mention(mention, cfg.queries)

    def render(out: TextIO) -> None:
        out.write(f"{mention.id}  {one_line(mention.title) or '(no title)'}\n")
        for item in explanations:
            if item.expression is None:
                out.write(f"\nquery {item.query}: stored for it, but no longer in the config\n")
                continue
            state = "matches" if item.matches else "no longer matches (the query or the entry changed)"
            if item.matches and not item.stored:
                state += " (it did not when stored)"
            out.write(f"\nquery {item.query}: {item.expression}\n  {state}\n")
            for ev in item.evidence:
                out.write(f"  {ev.field:<7} {ev.term:<20} {ev.context}\n")
        if not explanations:
            out.write("\nno configured query matches it now\n")

    write_out(render)


@app.command("test-query")
def try_query_command(
    expr: Annotated[str, typer.Argument(metavar="EXPR", help="A query, as in the config's match = '...'.")],
    config: ConfigOption = None,
    db: DbOption = None,
    source: SourceFilterOption = None,
    fetch: Annotated[bool, typer.Option("--fetch", help="Fetch the sources now; store nothing.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Run a query against every stored mention (or a live fetch) and print what it matches."""
    from mentionscan.errors import QuerySyntaxError
    from mentionscan.matching.explain import try_query_live, try_query_stored

    try:
        if fetch:
            live_cfg = load_config(config)
            live = try_query_live(live_cfg, database(live_cfg, db), expr, only=source)
            matches = [(m, ev) for m, ev, _stored in live.matches]
            stored = ["yes" if known else "no" for _m, _ev, known in live.matches]
            for report in live.reports:
                for message in report.errors:
                    error_line(f"{report.name}: {message}")
        else:
            cfg = config_or_none(config, db)
            matches = try_query_stored(database(cfg, db), expr, sources=source)
    except QuerySyntaxError as exc:
        error_line(str(exc))
        say(f"  {expr}")
        say("  " + " " * exc.position + "^")
        raise typer.Exit(int(exc.exit_code)) from None
    mentions = [m for m, _ev in matches]
    # The words found, once each (`explain ID` gives fields and context).
    extra = {"matched": [", ".join(dict.fromkeys(e.found for e in ev)) for _m, ev in matches]}
    if fetch:
        extra["stored"] = stored
    write_out(lambda out: write_mentions(mentions, fmt, out, extra=extra))
    count = len(mentions)
    noun = (
        ("fetched entry" if count == 1 else "fetched entries")
        if fetch
        else "stored mention" + "s" * (count != 1)
    )
    verb = "matches" if count == 1 else "match"
    say(f"{count} {noun} {verb}" + (" (nothing stored)" if fetch else ""))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words to look for (any case, any accents).")],
    config: ConfigOption = None,
    db: DbOption = None,
    limit: LimitOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Stored mentions (any status) whose title, snippet or text hold every word."""
    from mentionscan.matching.explain import search as search_mentions
    from mentionscan.store import open_store

    cfg = config_or_none(config, db)
    with open_store(database(cfg, db), write=False) as store:
        found = search_mentions(store.mentions(), text)
    found = found[:limit] if limit else found
    write_out(lambda out: write_mentions(found, fmt, out, extra={"status": [m.status for m in found]}))
    if not found and fmt is Format.table:
        say("No stored mention holds those words.")


@app.command()
def export(
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="json, jsonl, csv, markdown, html or atom.")
    ] = "json",
    output: OutputOption = None,
    status: StatusOption = None,
    query: QueryFilterOption = None,
    source: SourceFilterOption = None,
    since: SinceOption = None,
    limit: LimitOption = None,
) -> None:
    """Write stored mentions to a file or stdout, newest first: every status unless --status.

    atom is a feed a feed reader can subscribe to; html is one page to open in a browser.
    """
    from mentionscan.delivery.formats.documents import ExportFormat, write_file, writer

    try:
        kind = ExportFormat(fmt)
    except ValueError:
        raise ConfigError(
            f"unknown export format {fmt!r}: use one of {', '.join(f.value for f in ExportFormat)}"
        ) from None
    from mentionscan.store import open_store
    from mentionscan.store.filter import select

    selection = make_filter(query, source, since, limit, tuple(status or ()))
    cfg = config_or_none(config, db)
    location = database(cfg, db)
    with open_store(location, write=False) as store:
        mentions = select(store.mentions(), selection)
    render = writer(kind, feed_key=location)
    if output is None:
        write_out(lambda out: render(mentions, out))
        return
    buffer = io.StringIO()
    render(mentions, buffer)
    write_file(output, buffer.getvalue().encode("utf-8"))
    noun = "mention" if len(mentions) == 1 else "mentions"
    say(f"Exported {len(mentions)} {noun} to {output}")
