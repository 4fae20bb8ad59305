"""Bytes of an RSS, Atom or JSON Feed document to `Entry` records of clean plain text.

feedparser is always handed a byte stream (a `bytes` body that happens to be a file path, or
a string that looks like a URL, would make it open that file or fetch that URL). JSON Feed is
read here, since feedparser 6 does not know it.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from mentionscan.errors import MentionscanError
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.discover import advertised_note
from mentionscan.text import clean, html_to_text, one_line, without_cut_tag
from mentionscan.timeutil import parse_time
from mentionscan.urls import canonical_url, redact, safe_link

MAX_TEXT = 20_000  # characters of body text kept per entry: enough to match and quote
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
        entries, warnings = _json_feed(stripped, where, blank, adapt)
        return ParsedFeed(_disambiguate(entries), warnings)
    return _xml_feed(body, headers, where, blank, adapt, content_type)


def _xml_feed(
    body: bytes,
    headers: Mapping[str, str],
    where: str,
    blank: Entry,
    adapt: Adapter | None,
    content_type: str,
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
    if not parsed.get("version") and not parsed.entries:
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
    feed_author = parsed.feed.get("author_detail") or {}
    entries: list[Entry] = []
    for raw in parsed.entries:
        entry = _xml_entry(raw, feed_author, blank)
        if adapt is not None and entry is not None:
            entry = adapt(entry, raw)
        if entry is not None:
            entries.append(entry)
    return ParsedFeed(_disambiguate(entries), warnings, clean_parse)


def _text_of(value: Any, detail: Mapping[str, Any] | None) -> str:
    kind = str((detail or {}).get("type") or "")
    return html_to_text(value) if "html" in kind else without_cut_tag(one_line(value))


def _date(raw: Mapping[str, Any], *keys: str) -> datetime | None:
    for key in keys:
        # dict.get skips FeedParserDict's deprecated updated->published alias and its warning.
        value = dict.get(raw, key) if isinstance(raw, dict) else raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _xml_entry(
    raw: Mapping[str, Any],
    feed_author: Mapping[str, Any],
    blank: Entry,
) -> Entry | None:
    title = _text_of(raw.get("title"), raw.get("title_detail"))
    contents = raw.get("content") or []
    body_html = contents[0].get("value") if contents else raw.get("summary")
    detail = contents[0] if contents else raw.get("summary_detail")
    text = _text_of(body_html, detail)[:MAX_TEXT]
    link = safe_link(raw.get("link"))
    guid = one_line(raw.get("id")) or None
    if not link and guid and raw.get("guidislink", True) is not False:
        link = safe_link(guid)
    author_detail = raw.get("author_detail") or {}
    if not author_detail and not raw.get("author"):
        author_detail = feed_author
    author = one_line(author_detail.get("name") or raw.get("author")) or None
    email = one_line(author_detail.get("email")) or None
    written = one_line(raw.get("author"))
    if "@" in written:
        # feedparser cuts `hr@acme.example (Acme HR)` at a 4-letter TLD; the stdlib parses it whole.
        name, address = parseaddr(written)
        if "@" in address:
            author, email = one_line(name) or author, address
    tags = tuple(
        t for t in (one_line(tag.get("term") or tag.get("label")) for tag in raw.get("tags") or []) if t
    )
    if not (title or text or link):
        return None
    return replace(
        blank,
        url=link,
        title=title,
        text=text,
        author=author,
        author_url=safe_link(author_detail.get("href")) or None,
        author_email=email if email and "@" in email else None,
        published=_date(raw, "published_parsed", "updated_parsed", "created_parsed"),
        tags=tags,
        native_id=guid,
    )


def _json_feed(
    body: bytes,
    where: str,
    blank: Entry,
    adapt: Adapter | None,
) -> tuple[list[Entry], list[str]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FeedError(f"{where}: not a feed (invalid JSON)") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError(f"{where}: not a feed (JSON, but not a JSON Feed)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{where}: JSON Feed without an 'items' list")
    feed_authors = _authors(data)
    entries: list[Entry] = []
    warnings: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            warnings.append(f"{where}: skipped a JSON Feed item that is not an object")
            continue
        entry = _json_item(item, feed_authors, blank)
        if adapt is not None and entry is not None:
            entry = adapt(entry, item)
        if entry is not None:
            entries.append(entry)
    return entries, warnings


def _authors(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    authors = data.get("authors")
    if isinstance(authors, list):
        return [a for a in authors if isinstance(a, dict)]
    author = data.get("author")  # JSON Feed 1.0
    return [author] if isinstance(author, dict) else []


def _json_item(
    item: Mapping[str, Any],
    feed_authors: list[dict[str, Any]],
    blank: Entry,
) -> Entry | None:
    text = one_line(item.get("content_text")) if isinstance(item.get("content_text"), str) else ""
    if not text:
        text = html_to_text(item.get("content_html") or item.get("summary") or "")
    text = text[:MAX_TEXT]
    title = one_line(item.get("title")) if isinstance(item.get("title"), str) else ""
    link = safe_link(str(item.get("url") or "")) or safe_link(str(item.get("external_url") or ""))
    if not title and not text and not link:
        return None
    author = (_authors(item) or feed_authors or [{}])[0]
    raw_tags = item.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    published = None
    for key in ("date_published", "date_modified"):
        value = item.get(key)
        if isinstance(value, str) and (published := parse_time(value)) is not None:
            break
    item_id = item.get("id")
    return replace(
        blank,
        url=link,
        title=title,
        text=text,
        author=one_line(author.get("name")) or None,
        author_url=safe_link(str(author.get("url") or "")) or None,
        published=published,
        tags=tuple(one_line(t) for t in tags if isinstance(t, str | int) and one_line(t)),
        native_id=one_line(item_id) or None if item_id is not None else None,
    )


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
