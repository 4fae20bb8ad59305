"""The output formats: one enum, one renderer module each, shared by every command that prints mentions.

`Format` names them; each command takes the subset that makes sense for it (`LIST`, `EXPORT`,
`DETAIL`); `render()` imports the format's module only when it is used, since every command's
options name `Format` and `mentionscan --help` should import as little as it can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from mentionscan.models import Mention
    from mentionscan.store.interface import AuthorStats, MentionFilter, Store


class Format(StrEnum):
    table = "table"  # for a person, at the terminal's width
    json = "json"  # the records, one JSON array
    jsonl = "jsonl"  # one record per line
    csv = "csv"  # one record per row, cells guarded against spreadsheet formulas
    markdown = "markdown"  # a document to read or paste
    html = "html"  # one standalone page
    atom = "atom"  # a feed a feed reader can subscribe to
    text = "text"  # one mention whole, for a person (`show`)
    backup = "backup"  # every field of every mention, and the program state (`export --full`)


LIST = (Format.table, Format.json, Format.jsonl, Format.csv)  # what prints rows of mentions
EXPORT = (Format.json, Format.jsonl, Format.csv, Format.markdown, Format.html, Format.atom)
DETAIL = (Format.text, Format.json)  # one mention whole

# Each format's module and function: `function(mentions, out, context)`.
_WRITERS = {
    Format.table: ("table", "write"),
    Format.json: ("records", "write_json"),
    Format.jsonl: ("records", "write_jsonl"),
    Format.csv: ("records", "write_csv"),
    Format.markdown: ("markdown", "write"),
    Format.html: ("html", "write"),
    Format.atom: ("atom", "write"),
    Format.backup: ("backup", "write"),
}
# What a file's name says it holds (`export -o mentions.csv`).
EXTENSIONS = {
    ".json": Format.json,
    ".jsonl": Format.jsonl,
    ".ndjson": Format.jsonl,
    ".csv": Format.csv,
    ".md": Format.markdown,
    ".markdown": Format.markdown,
    ".html": Format.html,
    ".htm": Format.html,
    ".atom": Format.atom,
    ".xml": Format.atom,
}
_DETAIL_WRITERS = {Format.text: ("detail", "write_text"), Format.json: ("detail", "write_json")}


@dataclass(frozen=True, slots=True)
class Context:
    """What a renderer may need besides the mentions."""

    extra: dict[str, list[str]] = field(default_factory=dict)  # more table columns, one value per row
    feed_key: str = ""  # names the collection (the database location): the Atom feed's id
    now: datetime | None = None
    width: int | None = None  # the table's width in columns (None: the terminal's, else 80)
    terminal: bool | None = None  # write for a terminal (styles, links) even to a buffer (a pager)
    wide: bool = False  # the table shows every value whole, however long the line
    feed_url: str = ""  # where the Atom feed can be read (its rel="self" link)
    page_url: str = ""  # the page it belongs to (its feed-level rel="alternate" link)
    states: dict[str, dict[str, Any]] | None = None  # the program state a backup carries


@dataclass(frozen=True, slots=True)
class Detail:
    """One mention whole, as `show` prints it: the mention and its author's history."""

    mention: Mention
    history: AuthorStats
    related: tuple[Mention, ...] = ()  # the stored mentions of the page it discusses, or its discussions


def render(fmt: Format, mentions: Sequence[Mention], out: TextIO, context: Context | None = None) -> None:
    """Write `mentions` to `out` in `fmt`."""
    module, function = _WRITERS[fmt]
    getattr(import_module(f"{__name__}.{module}"), function)(mentions, out, context or Context())


def export(store: Store, fmt: Format, out: TextIO, selection: MentionFilter, context: Context) -> int:
    """Write what `selection` picks of `store` in `fmt`; how many mentions.

    A backup takes them in stored order (an import then rebuilds the same database), and the
    program state too when `selection` is every mention.
    """
    from dataclasses import replace

    from mentionscan.store.interface import MentionFilter, Order

    if fmt is Format.backup:
        states = store.states() if selection == MentionFilter() else None
        selection, context = replace(selection, order=Order.STORED), replace(context, states=states)
    mentions = list(store.mentions(selection))
    render(fmt, mentions, out, context)
    return len(mentions)


def format_of(path: Path) -> Format | None:
    """The format a file name's extension names (`x.csv`: csv), or None."""
    return EXTENSIONS.get(path.suffix.lower())


def render_detail(fmt: Format, detail: Detail, out: TextIO) -> None:
    """Write one mention whole in `fmt` (text or json)."""
    module, function = _DETAIL_WRITERS[fmt]
    getattr(import_module(f"{__name__}.{module}"), function)(detail, out)
