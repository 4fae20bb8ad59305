"""Exporting mentions to files a person or a feed reader opens: Markdown, HTML, Atom.

JSON, JSON lines and CSV come from `mentionscan.delivery.formats`. Everything from the web is escaped
for the format it lands in, and only http and https URLs become links.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from mentionscan import __version__
from mentionscan.delivery.formats import write_csv, write_json, write_jsonl
from mentionscan.errors import MentionscanError
from mentionscan.models import Mention
from mentionscan.text import clean, one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import safe_link

ATOM_NS = "http://www.w3.org/2005/Atom"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_LIST_MARKER = re.compile(r"^(?:-|(\d+)([.)]))")  # a list item, were it at the start of a line
# Characters an Atom (XML 1.0) document may not hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    atom = "atom"


def _title(mention: Mention) -> str:
    return one_line(mention.title) or "(no title)"


def _when(mention: Mention) -> datetime:
    return mention.published or mention.found_at


def _md(text: str) -> str:
    """Markdown text that renders as `text`: HTML escaped, Markdown punctuation backslashed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line(text), quote=False))
    return _LIST_MARKER.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\-", escaped)


def _md_url(url: str) -> str:
    """A link destination in `<...>` form, which allows parentheses but not `<`, `>` or spaces."""
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def write_markdown(mentions: Sequence[Mention], out: TextIO, *, now: datetime | None = None) -> None:
    out.write(f"# Mentions ({len(mentions)})\n\nExported {to_iso(now or utcnow())} by mentionscan.\n")
    for mention in mentions:
        link = safe_link(mention.url)
        heading = f"[{_md(_title(mention))}](<{_md_url(link)}>)" if link else _md(_title(mention))
        out.write(f"\n## {heading}\n\n")
        facts = [
            f"**Status:** {_md(mention.status)}",
            f"**Source:** {_md(mention.source)}",
            f"**Queries:** {_md(', '.join(mention.queries))}",
            f"**Date:** {to_iso(_when(mention))}",
            f"**Id:** `{mention.id}`",
        ]
        if mention.author:
            facts.append(f"**Author:** {_md(mention.author)}")
        out.write("".join(f"- {fact}\n" for fact in facts))
        if mention.snippet:
            out.write(f"\n> {_md(mention.snippet)}\n")


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}article{border-top:1px solid #ddd;padding:.8rem 0}
h2{font-size:1.05rem;margin:0 0 .2rem}a{color:#0645ad}.meta{color:#666;font-size:.85rem}
.status{display:inline-block;padding:0 .4rem;border-radius:.3rem;background:#eef;color:#224}
blockquote{margin:.4rem 0 0;padding-left:.8rem;border-left:3px solid #ddd;color:#444}
"""


def write_html(mentions: Sequence[Mention], out: TextIO, *, now: datetime | None = None) -> None:
    """One standalone page; a Content-Security-Policy forbids scripts and remote loads besides."""
    e = html.escape
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Mentions ({len(mentions)})</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>Mentions ({len(mentions)})</h1>\n"
        f'<p class="meta">Exported {e(to_iso(now or utcnow()) or "")} by mentionscan.</p>\n'
    )
    for mention in mentions:
        link = safe_link(mention.url)
        title = e(_title(mention))
        if link:
            title = f'<a href="{e(link)}" rel="noopener noreferrer nofollow">{title}</a>'
        meta = [
            f'<span class="status">{e(mention.status)}</span>',
            e(mention.source),
            e(", ".join(mention.queries)),
            f'<time datetime="{to_iso(_when(mention))}">{to_iso(_when(mention))}</time>',
        ]
        if mention.author:
            meta.append("by " + e(one_line(mention.author)))
        meta.append(f"<code>{e(mention.id)}</code>")
        out.write(f'<article>\n<h2>{title}</h2>\n<div class="meta">{" · ".join(meta)}</div>\n')
        if mention.snippet:
            out.write(f"<blockquote>{e(one_line(mention.snippet))}</blockquote>\n")
        out.write("</article>\n")
    out.write("</body>\n</html>\n")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", clean(text))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def write_atom(
    mentions: Sequence[Mention], out: TextIO, *, feed_key: str = "", now: datetime | None = None
) -> None:
    """An Atom 1.0 feed; ids are stable UUID URNs, so a reader shows each mention once.

    `feed_key` names the collection (the database location): the same key, the same feed id.
    """
    now = now or utcnow()
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "mentionscan:feed:" + feed_key)))
    _sub(feed, "title", "Mentions")
    newest = max((m.timeline[-1].at if m.timeline else _when(m) for m in mentions), default=now)
    _sub(feed, "updated", to_iso(newest))
    author = _sub(feed, "author")
    _sub(author, "name", "mentionscan")
    _sub(feed, "generator", "mentionscan", version=__version__)
    for mention in mentions:
        entry = _sub(feed, "entry")
        _sub(entry, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "mentionscan:" + mention.id)))
        _sub(entry, "title", _title(mention), type="text")
        updated = mention.timeline[-1].at if mention.timeline else _when(mention)
        _sub(entry, "updated", to_iso(max(updated, _when(mention))))
        _sub(entry, "published", to_iso(_when(mention)))
        if link := safe_link(mention.url):
            _sub(entry, "link", rel="alternate", href=link)
        if mention.author:
            person = _sub(entry, "author")
            _sub(person, "name", one_line(mention.author))
            if uri := safe_link(mention.author_url):
                _sub(person, "uri", uri)
        for query in mention.queries:
            _sub(entry, "category", term=query, scheme="urn:mentionscan:query")
        _sub(entry, "category", term=mention.status, scheme="urn:mentionscan:status")
        summary = f"{mention.source}: {one_line(mention.snippet)}" if mention.snippet else mention.source
        _sub(entry, "summary", summary, type="text")
    ET.indent(feed)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write(ET.tostring(feed, encoding="unicode"))
    out.write("\n")


def writer(fmt: ExportFormat, feed_key: str = "") -> Callable[[Sequence[Mention], TextIO], None]:
    """The function that writes `fmt`."""
    if fmt is ExportFormat.atom:
        return lambda mentions, out: write_atom(mentions, out, feed_key=feed_key)
    return {
        ExportFormat.json: write_json,
        ExportFormat.jsonl: write_jsonl,
        ExportFormat.csv: write_csv,
        ExportFormat.markdown: write_markdown,
        ExportFormat.html: write_html,
    }[fmt]


def write_file(path: Path, data: bytes) -> None:
    """Write `path` atomically: a temporary file beside it, fsync, rename (readers never see half)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise MentionscanError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(_mode(path))
        Path(temporary).replace(path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise MentionscanError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode(path: Path) -> int:
    """The file's mode if it exists, else what the umask gives a new file (mkstemp uses 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
