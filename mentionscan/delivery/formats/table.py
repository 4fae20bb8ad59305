"""`table`: mentions for a person, one row each at the terminal's width; plain text, never markup.

The title gets the room. Every other column is as wide as its longest value up to a
comfortable cap, and when the line is still too long they are shortened first, each down to
a floor (a list of queries to its first name and "+1"), so that at any width from 80 up every
row is one line; below 80 a title may take a second line. `Context.wide` shows every value
whole, however long the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from mentionscan.delivery.formats import Context
from mentionscan.models import Mention
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import age, utcnow
from mentionscan.urls import safe_link

DISPLAY_TITLE = 300  # characters of a title shown in a table; JSON keeps it whole
TITLE_FLOOR = 30  # narrower than this, a title takes a second line (below 80 columns)
NARROW = 80  # below this, a title may take two lines
ROOMY = 100  # from this on, two spaces between columns (one below)
DEFAULT_WIDTH = 80  # when nobody says (a pipe without $COLUMNS)
# Each column's comfortable cap and its floor, in terminal cells (a column not named here, one a
# command adds, is capped at 16); no column is ever narrower than its header.
_CAPS = {"query": (14, 6), "source": (14, 6), "author": (16, 6), "matched": (16, 7), "history": (16, 7)}
_RIGHT = frozenset({"age", "history", "due", "stored"})
_FIXED = frozenset({"id", "age"})


@dataclass(slots=True)
class _Column:
    name: str
    cells: list[str]
    width: int = 0
    cap: int = 0
    floor: int = 0


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    """The table (nothing at all for no mentions); the title links to the page on a terminal."""
    if not mentions:
        return
    console = Console(
        file=out,
        width=context.width,
        force_terminal=context.terminal,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )
    width = context.width or (console.width if console.is_terminal else DEFAULT_WIDTH)
    now = context.now or utcnow()
    titles = [truncate(one_line(m.title) or "(no title)", DISPLAY_TITLE) + _related(m) for m in mentions]
    queries = [list(m.queries) for m in mentions]
    before = [_Column("id", [m.id[:7] for m in mentions])]
    if "status" in context.extra:
        before.append(_Column("status", context.extra["status"]))
    before += [
        _Column("query", [",".join(q) for q in queries]),
        _Column("source", [one_line(m.source) for m in mentions]),
    ]
    after = [
        _Column("author", [one_line(m.author or "") for m in mentions]),
        _Column("age", [age(m.published or m.found_at, now) for m in mentions]),
    ]
    after += [_Column(name, values) for name, values in context.extra.items() if name != "status"]
    others = before + after
    gap = 1 if width < ROOMY and not context.wide else 2
    title_width, two_lines = _layout(others, titles, queries, width, gap, context.wide)
    header = Text(style="bold")
    _add_cells(header, [(c, c.name) for c in before], gap)
    header.append(_fit("title", title_width))
    _add_cells(header, [(c, c.name) for c in after], gap, lead=True)
    console.print(_rstrip(header))
    indent = sum(c.width + gap for c in before)
    for index, mention in enumerate(mentions):
        first, second = _title_lines(titles[index], title_width, width - indent, two_lines, console)
        if link := safe_link(mention.url):
            first.stylize(Style(link=link))
            second.stylize(Style(link=link))
        line = Text()
        _add_cells(line, [(c, c.cells[index]) for c in before], gap)
        line.append_text(first)
        _add_cells(line, [(c, c.cells[index]) for c in after], gap, lead=True)
        console.print(_rstrip(line))
        if second.plain:
            console.print(_rstrip(Text(" " * indent) + second))


def _layout(
    others: list[_Column], titles: list[str], queries: list[list[str]], width: int, gap: int, wide: bool
) -> tuple[int, bool]:
    """Set each column's width; the title's width, and whether titles may take two lines."""
    for column in others:
        natural = max(cell_len(text) for text in [column.name, *column.cells])
        cap, floor = _CAPS.get(column.name, (16, 0))
        column.floor = min(natural, max(floor, cell_len(column.name)))  # a header is never cut
        column.cap = natural if wide or column.name in _FIXED else max(min(natural, cap), column.floor)
        column.width = column.cap
    title_natural = max(cell_len(t) for t in [*titles, "title"])
    if wide:
        return title_natural, False
    # The title's share: 40% of the line (half from ROOMY on), or all it needs if less, and
    # never under TITLE_FLOOR.
    share = width // 2 if width >= ROOMY else width * 2 // 5
    wanted = min(title_natural, max(TITLE_FLOOR, share))
    fixed = sum(c.width for c in others) + gap * len(others)
    if width - fixed < wanted:
        _shrink(others, fixed - (width - wanted))
    for column in others:
        if column.name == "query" and any(cell_len(c) > column.width for c in column.cells):
            column.cells = [_short_queries(q, column.width) for q in queries]
            # `acme+1` may be narrower than the column was: the title takes what it leaves.
            column.width = min(column.width, max(cell_len(text) for text in [column.name, *column.cells]))
    room = width - sum(c.width for c in others) - gap * len(others)
    title_width = max(5, min(title_natural, room))
    return title_width, width < NARROW and title_width < title_natural


def _shrink(columns: list[_Column], excess: int) -> None:
    """Take `excess` cells from the shrinkable columns, always from the widest above its floor."""
    while excess > 0:
        candidates = [c for c in columns if c.name not in _FIXED and c.width > c.floor]
        if not candidates:
            return
        widest = max(candidates, key=lambda c: c.width - c.floor)
        widest.width -= 1
        excess -= 1


def _short_queries(names: list[str], width: int) -> str:
    """`acme,acme-support` in `width` cells: whole if it fits, else `acme+1`, its name cut if need be."""
    whole = ",".join(names)
    if cell_len(whole) <= width or len(names) < 2:
        return whole
    more = f"+{len(names) - 1}"
    first = names[0]
    if cell_len(first) + len(more) > width:
        first = _fit(first, max(1, width - len(more))).rstrip()
    return first + more


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    cell = Text(text)
    cell.truncate(width, overflow="ellipsis", pad=True)
    return cell.plain


def _add_cells(line: Text, cells: list[tuple[_Column, str]], gap: int, *, lead: bool = False) -> None:
    for position, (column, value) in enumerate(cells):
        if lead or position:
            line.append(" " * gap)
        text = _fit(value, column.width)
        if column.name in _RIGHT:
            text = " " * (column.width - cell_len(text.rstrip())) + text.rstrip()
        line.append(text, style="dim" if column.name == "id" else "")
    if cells and not lead:
        line.append(" " * gap)


def _title_lines(
    title: str, width: int, rest_width: int, two_lines: bool, console: Console
) -> tuple[Text, Text]:
    """The title in `width` cells, padded; with `two_lines`, what does not fit goes on a second
    line, which has the `rest_width` cells from the title's column to the end of the line."""
    if cell_len(title) <= width or not two_lines:
        return Text(_fit(title, width)), Text()
    lines = Text(title).wrap(console, width, overflow="fold")
    first = lines[0].plain.rstrip()
    rest = title[len(first) :].strip()
    return Text(_fit(first, width)), Text(_fit(rest, rest_width).rstrip())


def _related(mention: Mention) -> str:
    # A discussion of it, or the page it discusses, is stored too: said after the title.
    return f"  (related: {', '.join(r[:7] for r in mention.related)})" if mention.related else ""


def _rstrip(line: Text) -> Text:
    line.rstrip()
    return line
