"""Rendering mentions: a table for a person, JSON, JSON lines or CSV for a program."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from mentionscan.models import Mention
# models, text and urls are imported where they are used: every command's options name `Format`,
# so this module is on the path of `mentionscan --help`, which should import as little as it can.

DISPLAY_TITLE = 300  # characters of a title shown in a table; JSON keeps it whole
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def age(when: datetime | None, now: datetime | None = None) -> str:
    """`5m`, `3h`, `2d`, `6w`: how long ago, short enough for a column."""
    if when is None:
        return "?"
    from mentionscan.timeutil import utcnow

    seconds = max(0, int(((now or utcnow()) - when).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_json(mentions: Sequence[Mention], out: TextIO) -> None:
    json.dump([m.to_record() for m in mentions], out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(mentions: Sequence[Mention], out: TextIO) -> None:
    for mention in mentions:
        out.write(json.dumps(mention.to_record(), ensure_ascii=False) + "\n")


def write_csv(mentions: Sequence[Mention], out: TextIO) -> None:
    from mentionscan.models import RECORD_FIELDS

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECORD_FIELDS)
    for mention in mentions:
        record = mention.to_record()
        writer.writerow([csv_cell(record[name]) for name in RECORD_FIELDS])


def write_table(
    mentions: Sequence[Mention], out: TextIO, *, extra: dict[str, list[str]] | None = None
) -> None:
    """A rich table; every value is plain `Text`, so nothing from the web is read as markup."""
    from rich.console import Console
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    from mentionscan.text import one_line, truncate
    from mentionscan.timeutil import utcnow
    from mentionscan.urls import safe_link

    console = Console(file=out, markup=False, highlight=False, emoji=False, soft_wrap=False)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=True)
    table.add_column("id", no_wrap=True, style="dim", width=7)
    table.add_column("query", no_wrap=True, max_width=16, overflow="ellipsis")
    table.add_column("source", no_wrap=True, max_width=14, overflow="ellipsis")
    table.add_column("title", ratio=1, min_width=24, overflow="fold")
    table.add_column("author", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("age", justify="right", no_wrap=True, width=4)
    for column in extra or {}:
        table.add_column(column, justify="right", no_wrap=True)
    now = utcnow()
    for index, mention in enumerate(mentions):
        title = Text(truncate(one_line(mention.title) or "(no title)", DISPLAY_TITLE))
        if link := safe_link(mention.url):
            title.stylize(Style(link=link))
        row = [
            Text(mention.id[:7]),
            Text(",".join(mention.queries)),
            Text(mention.source),
            title,
            Text(one_line(mention.author or "")),
            Text(age(mention.published or mention.found_at, now)),
        ]
        row.extend(Text(values[index]) for values in (extra or {}).values())
        table.add_row(*row)
    console.print(table)


def write_mentions(
    mentions: Sequence[Mention], fmt: Format, out: TextIO, *, extra: dict[str, list[str]] | None = None
) -> None:
    if fmt is Format.json:
        write_json(mentions, out)
    elif fmt is Format.jsonl:
        write_jsonl(mentions, out)
    elif fmt is Format.csv:
        write_csv(mentions, out)
    elif mentions:
        write_table(mentions, out, extra=extra)
