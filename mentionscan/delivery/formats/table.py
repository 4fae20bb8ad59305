"""`table`: mentions for a person, one row each; every value is plain text, never markup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from mentionscan.delivery.formats import Context
from mentionscan.models import Mention
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import age, utcnow
from mentionscan.urls import safe_link

DISPLAY_TITLE = 300  # characters of a title shown in a table; JSON keeps it whole


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    """A rich table (nothing at all for no mentions); the title links to the page on a terminal."""
    if not mentions:
        return
    console = Console(file=out, markup=False, highlight=False, emoji=False, soft_wrap=False)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=True)
    table.add_column("id", no_wrap=True, style="dim", width=7)
    table.add_column("query", no_wrap=True, max_width=16, overflow="ellipsis")
    table.add_column("source", no_wrap=True, max_width=14, overflow="ellipsis")
    table.add_column("title", ratio=1, min_width=24, overflow="fold")
    table.add_column("author", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("age", justify="right", no_wrap=True, width=4)
    for column in context.extra:
        table.add_column(column, justify="right", no_wrap=True)
    now = context.now or utcnow()
    for index, mention in enumerate(mentions):
        title = Text(truncate(one_line(mention.title) or "(no title)", DISPLAY_TITLE))
        if link := safe_link(mention.url):
            title.stylize(Style(link=link))
        if mention.related:  # a discussion of it, or the page it discusses, is stored too
            title.append(f"  (related: {', '.join(r[:7] for r in mention.related)})", style="dim")
        row = [
            Text(mention.id[:7]),
            Text(",".join(mention.queries)),
            Text(mention.source),
            title,
            Text(one_line(mention.author or "")),
            Text(age(mention.published or mention.found_at, now)),
        ]
        row.extend(Text(values[index]) for values in context.extra.values())
        table.add_row(*row)
    console.print(table)
