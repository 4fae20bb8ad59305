"""Bytes of an RSS, Atom or JSON Feed document to `Entry` records of clean plain text.

feedparser is always handed a byte stream (a `bytes` body that happens to be a file path, or
a string that looks like a URL, would make it open that file or fetch that URL). JSON Feed is
read by `jsonfeed` into the same shape, and `feedentry` maps either to an `Entry`; links are
resolved against `xml:base` (feedparser) and then the document's own URL.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from mentionscan.errors import MentionscanError
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import unreadable
from mentionscan.sources.discover import advertised_note
from mentionscan.sources.fastfeed import fast_feed
from mentionscan.sources.feedentry import MAX_TEXT, feed_entry
from mentionscan.sources.jsonfeed import authors, is_json_feed, item_dict
from mentionscan.text import clean, one_line
from mentionscan.urls import canonical_url, redact

__all__ = ["MAX_TEXT", "Adapter", "FeedError", "parse_feed"]
# feedparser reports these when it still read the document correctly.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")

Adapter = Callable[[Entry, Mapping[str, Any]], Entry | None]
# A document whose first element (after an XML declaration, comments and a doctype) is <html>.
# Only the element counts: some feeds carry a bogus XHTML doctype above their <rss>.
_HTML_PAGE = re.compile(rb"(?:\s|<\?xml[^>]*>|<!--.*?-->|<!doctype[^>]*>)*<html[\s>]", re.I | re.S)


class FeedError(MentionscanError):
    """The response is not a feed we can read."""


def parse_feed(
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    source: str,
    source_type: str = "feed",
    key_scope: str = "source",
    adapt: Adapter | None = None,
) -> ParsedFeed:
    """Entries of an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 document.

    `adapt(entry, raw)` may rewrite or drop (return None) each entry; `raw` is feedparser's
    entry dict (or the JSON Feed item). Raises FeedError when there is nothing to read.
    """
    where = redact(url)
    body = _utf16_without_bom(body)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError(f"{where}: empty response")
    content_type = (headers.get("content-type") or headers.get("Content-Type") or "").lower()
    if _HTML_PAGE.match(stripped[:4096]):
        # A login wall, a bot check or a site's home page: feedparser would read any <item>
        # inside it as an entry, so it is never handed to it.
        raise FeedError(f"{where}: not a feed (the server sent an HTML page){advertised_note(body, url)}")
    # What every entry of this document shares; each is this with its own fields.
    blank = Entry(source=source, source_type=source_type, url="", title="", key_scope=key_scope)
    if stripped[:1] in (b"{", b"[") or "json" in content_type:
        entries, warnings = _json_feed(stripped, where, blank, adapt, url)
        return ParsedFeed(_disambiguate(entries), warnings)
    if adapt is None and (fast := fast_feed(body, content_type, blank, url)) is not None:
        return replace(fast, entries=_disambiguate(fast.entries))
    return _xml_feed(body, headers, where, blank, adapt, content_type, url)


def _xml_feed(
    body: bytes,
    headers: Mapping[str, str],
    where: str,
    blank: Entry,
    adapt: Adapter | None,
    content_type: str,
    url: str,
) -> ParsedFeed:
    import feedparser

    lowered = {k.lower(): v for k, v in headers.items()}
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=lowered,
        sanitize_html=False,  # we reduce everything to plain text and escape on output
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception")
    problem_name = type(problem).__name__ if problem else ""
    if not parsed.entries and _rdf_without_channel(body, parsed.feed):
        raise FeedError(f"{where}: not a feed (an RDF document with no channel or items, such as FOAF)")
    if not parsed.get("version") and not parsed.entries and not _EMPTY_RSS09.search(body[:1024]):
        head = body[:512].lower()
        if "html" in content_type or b"<html" in head or b"<!doctype html" in head:
            raise FeedError(
                f"{where}: not a feed (the server sent an HTML page){advertised_note(body, where)}"
            )
        reason = f" ({one_line(problem)[:120]})" if problem else ""
        raise FeedError(f"{where}: not a feed{reason}")
    warnings: list[str] = []
    clean_parse = True
    if parsed.get("bozo") and problem_name not in _HARMLESS:
        clean_parse = False
        warnings.append(
            f"{where}: malformed feed ({one_line(problem)[:120]}); "
            f"using the {len(parsed.entries)} {'entry' if len(parsed.entries) == 1 else 'entries'} read"
        )
    feed_authors = parsed.feed.get("authors") or [parsed.feed.get("author_detail") or {}]
    blank = replace(blank, language=one_line(parsed.feed.get("language")))  # RSS <language>
    entries: list[Entry] = []
    for raw in parsed.entries:
        entry = feed_entry(raw, feed_authors, blank, url)
        if adapt is not None and entry is not None:
            entry = adapt(entry, raw)
        if entry is not None:
            entries.append(entry)
    if parsed.entries and not entries:
        warnings.append(unreadable(len(parsed.entries), where))
    return ParsedFeed(_disambiguate(entries), warnings, clean_parse)


def _json_feed(
    body: bytes,
    where: str,
    blank: Entry,
    adapt: Adapter | None,
    url: str,
) -> tuple[list[Entry], list[str]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FeedError(f"{where}: not a feed (invalid JSON)") from None
    except RecursionError:  # json parses nesting by recursion: a hostile feed nests thousands deep
        raise FeedError(f"{where}: not a feed (JSON nested too deeply to read)") from None
    if not is_json_feed(data):
        raise FeedError(f"{where}: not a feed (JSON, but not a JSON Feed)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{where}: JSON Feed without an 'items' list")
    feed_authors = authors(data)
    language = data.get("language")
    blank = replace(blank, language=language if isinstance(language, str) else "")
    entries: list[Entry] = []
    warnings: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            warnings.append(f"{where}: skipped a JSON Feed item that is not an object")
            continue
        entry = feed_entry(item_dict(item), feed_authors, blank, url)
        if adapt is not None and entry is not None:
            entry = adapt(entry, item)
        if entry is not None:
            entries.append(entry)
    if items and not entries:
        warnings.append(unreadable(len(items), where))
    return entries, warnings


# An RDF document is a feed when RSS 0.9 or 1.0 is its default namespace (`<rdf:RDF xmlns=...>`),
# even with no items; one that only mentions RSS inside FOAF (`<rss:channel>` of a weblog) is not.
_EMPTY_RSS09 = re.compile(
    rb"xmlns\s*=\s*[\"'](?:http://channel\.netscape\.com/rdf/simple/0\.9/|http://purl\.org/rss/1\.0/)"
)
_RDF_ROOT = re.compile(rb"<(?:[\w-]+:)?RDF[\s>]")
_CHANNEL_KEYS = ("title", "link", "subtitle", "description", "updated", "published")


def _rdf_without_channel(body: bytes, feed: Mapping[str, Any]) -> bool:
    head = body[:4096]
    if not _RDF_ROOT.search(head) or _EMPTY_RSS09.search(head):
        return False
    return not any(feed.get(key) for key in _CHANNEL_KEYS)


_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")


def _utf16_without_bom(body: bytes) -> bytes:
    """`body` as UTF-8 when it is UTF-16 without a byte order mark (which feedparser cannot tell)."""
    # "<" and the next character, each followed (LE) or preceded (BE) by a zero byte
    head = body[:4].ljust(4, b"\xff")
    if head[0] == 0x3C and head[2] and head[1] == head[3] == 0:
        codec = "utf-16-le"
    elif head[1] == 0x3C and head[3] and head[0] == head[2] == 0:
        codec = "utf-16-be"
    else:
        return body
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        return body
    return _DECLARED_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8")


def _disambiguate(entries: list[Entry]) -> list[Entry]:
    """Entries that share a GUID but not a link each get an id of their own, so none vanishes."""
    counts = Counter(e.native_id for e in entries if e.native_id)
    if not counts or counts.most_common(1)[0][1] < 2:
        return entries
    result = []
    for entry in entries:
        if entry.native_id and counts[entry.native_id] > 1:
            suffix = canonical_url(entry.url) if entry.url else clean(entry.title)[:200]
            entry = replace(entry, native_id=f"{entry.native_id}#{suffix}")
        result.append(entry)
    return result
