"""`markdown`: a document to read or paste; web text escaped so that it renders as itself."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TextIO

from mentionscan.delivery.formats import Context
from mentionscan.models import Mention
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import safe_link

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_LIST_MARKER = re.compile(r"^(?:-|(\d+)([.)]))")  # a list item, were it at the start of a line


def _title(mention: Mention) -> str:
    return one_line(mention.title) or "(no title)"


def _md(text: str) -> str:
    """Markdown text that renders as `text`: HTML escaped, Markdown punctuation backslashed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line(text), quote=False))
    return _LIST_MARKER.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\-", escaped)


def _md_url(url: str) -> str:
    """A link destination in `<...>` form, which allows parentheses but not `<`, `>` or spaces."""
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    out.write(f"# Mentions ({len(mentions)})\n\nExported {to_iso(context.now or utcnow())} by mentionscan.\n")
    for mention in mentions:
        link = safe_link(mention.url)
        heading = f"[{_md(_title(mention))}](<{_md_url(link)}>)" if link else _md(_title(mention))
        out.write(f"\n## {heading}\n\n")
        facts = [
            f"**Status:** {_md(mention.status)}",
            f"**Source:** {_md(mention.source)}",
            f"**Queries:** {_md(', '.join(mention.queries))}",
            f"**Date:** {to_iso(mention.published or mention.found_at)}",
            f"**Id:** `{mention.id}`",
        ]
        if mention.author:
            facts.append(f"**Author:** {_md(mention.author)}")
        out.write("".join(f"- {fact}\n" for fact in facts))
        if mention.snippet:
            out.write(f"\n> {_md(mention.snippet)}\n")
