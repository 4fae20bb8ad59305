"""Mentions in and out of the database: `export` (any format, or a whole backup) and `import`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    ExportFormat,
    Selection,
    plural,
    say,
    selection_options,
    warn,
    workspace,
    write_out,
)
from mentionscan.cli.reply import OutputOption
from mentionscan.delivery.formats import EXPORT, Format, format_of
from mentionscan.errors import ConfigError


@app.command()
@selection_options(with_all=False)
def export(
    selection: Selection,
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: ExportFormat = None,
    output: OutputOption = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="A backup: every field of every mention (timeline, notes, contacts, due date, "
            "digested) as JSON, that `mentionscan import` reads back.",
        ),
    ] = False,
    feed_url: Annotated[
        str | None,
        typer.Option(
            "--feed-url",
            help="atom: where it will be served, its rel=self link (default with --output: its file:// URL).",
        ),
    ] = None,
    page_url: Annotated[
        str | None,
        typer.Option(
            "--page-url",
            help="atom: the page the feed belongs to, its alternate link (default: the feed's folder).",
        ),
    ] = None,
) -> None:
    """Write stored mentions to a file or stdout, newest first: every status unless --status.

    The format is --format, else the --output file's extension (.json, .jsonl, .csv, .md,
    .html, .atom), else json. atom is a feed a feed reader can subscribe to; html is one page
    to open in a browser. --full is a backup that `mentionscan import FILE` reads back.
    """
    from mentionscan.atomic import write_atomically
    from mentionscan.store.interface import MentionFilter

    chosen = _format(fmt, output, full)
    if (feed_url or page_url) and chosen is not Format.atom:
        raise ConfigError(
            "--feed-url and --page-url are the links of an Atom feed: use them with --format atom"
        )
    links = _atom_links(output, feed_url, page_url) if chosen is Format.atom else {}
    ws = workspace(config, db)
    selected = selection.filter(open_only=False)
    ws.check_names(queries=selected.queries, sources=selected.sources)
    if output is None:
        write_out(lambda out: ws.export(chosen, out, selected, **links))
        return
    buffer = io.StringIO()
    count = ws.export(chosen, buffer, selected, **links)
    # A backup holds people's names and addresses: readable by its owner only.
    write_atomically(output.expanduser(), [buffer.getvalue().encode("utf-8")], private=full)
    if not full:
        say(f"Exported {plural(count, 'mention')} to {output}")
        return
    whole = selected == MentionFilter()  # a part of the database carries no state about sources
    what = "and the program state" if whole else "no program state: a part of the database"
    say(f"Backed up {plural(count, 'mention')} to {output}: every field, {what}")
    say(f"  `mentionscan import {output}` reads it back")


def _format(given: Format | None, output: Path | None, full: bool) -> Format:
    """--format, else what the --output file's name says, else json; --full is the backup."""
    named = format_of(output) if output is not None else None
    if full:
        if given not in (None, Format.json) or named not in (None, Format.json):
            other = given if given not in (None, Format.json) else f"a {named} file ({output})"
            raise ConfigError(f"--full writes every field as one JSON document, not {other}: name it .json")
        return Format.backup
    if given is not None:
        return given
    if output is None:
        return Format.json
    if named is None or named not in EXPORT:
        ending = f"'{output.suffix}'" if output.suffix else "a name without an extension"
        raise ConfigError(
            f"--output {output}: cannot tell the format from {ending}: end it in .json, .jsonl, .csv, .md, "
            ".html or .atom, or give --format"
        )
    return named


def _atom_links(output: Path | None, feed_url: str | None, page_url: str | None) -> dict[str, str]:
    """The feed's rel=self link (given, or the file's own URL) and its page (given, or the feed's folder)."""
    from urllib.parse import urljoin

    from mentionscan.urls import is_http_url

    for option, value in (("--feed-url", feed_url), ("--page-url", page_url)):
        if value is not None and not is_http_url(value):
            raise ConfigError(f"{option} must be an http:// or https:// URL, not {value!r}")
    own = feed_url or (output.expanduser().resolve().as_uri() if output is not None else "")
    if not own:
        warn('the feed has no rel="self" link: give --feed-url (where it will be served), or --output')
    return {"feed_url": own, "page_url": page_url or (urljoin(own, ".") if own else "")}


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A backup made by `mentionscan export --full`, or an OPML list of feeds (import-sources).",
        ),
    ],
    config: ConfigOption = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
) -> None:
    """Merge a backup (`export --full`) into the database, by id: nothing stored is lost.

    A mention the database lacks is added whole. One it has (the same id, else the same link or
    feed id) gains every timeline event, note and contact of the backup, and its queries and
    tags; its status and due date are those of whichever side changed them last. Program state
    (cursors, source health) is added where the database has none. An OPML list (`.opml`, or
    XML with an <opml> root) adds its feeds to the config instead, as `import-sources` does.
    """
    if _is_opml(file):  # a feed reader's subscription list: its feeds go into the config
        from mentionscan.cli.feeds import import_sources

        import_sources(file, config, dry_run)
        return
    result = workspace(config, db).import_backup(file, dry_run=dry_run)
    parts = [f"{result.added} added", f"{result.merged} merged", f"{result.unchanged} already there"]
    if result.states_added or result.states_kept:
        kept = f" ({result.states_kept} the database had, kept)" if result.states_kept else ""
        parts.append(f"{plural(result.states_added, 'state')} added{kept}")
    head = "Would import" if dry_run else "Imported"
    say(f"{head} {file}: {', '.join(parts)}" + (" (dry run: nothing changed)" if dry_run else ""))


def _is_opml(file: Path) -> bool:
    if file.suffix.lower() == ".opml":
        return True
    try:
        with file.expanduser().open("rb") as head:
            start = head.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False  # the backup reader says what is wrong with the file
    return start.startswith(b"<") and b"<opml" in start.lower()
