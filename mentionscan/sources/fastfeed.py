"""The fast path for RSS and Atom: fastfeedparser reads the document, `feed_entry` maps each entry.

fastfeedparser (Kagi's; lxml and a Rust core) reads a 50-entry feed in about a fiftieth of
feedparser's time. It is used only where it reads a document as feedparser does: a well-formed
UTF-8 (or ASCII) document that is not a site search's feed. Everything else — a malformed
document (feedparser says how it is malformed, and its validators are dropped), another
encoding, a document it refuses or finds no entries in — goes to feedparser, as before.

The checks before fastfeedparser are lxml's own, with nothing loaded or resolved: no DTD, no
entity, no network, libxml2's default limits on depth and text size (fastfeedparser lifts them).
It is handed bytes only: a `str` that looks like a URL would make it fetch that URL.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin

from mentionscan.models import Entry
from mentionscan.sources.feedentry import feed_entry

__all__ = ["fast_feed"]
looks_like_html = _FeedParserMixin.looks_like_html  # feedparser's rule for RSS text that is HTML

_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# What fastfeedparser reads otherwise than feedparser (../shared/feeds/ shows each): xml:base,
# FeedBurner's origLink, an author's URI or e-mail, base64, escaped and XHTML content, dc:subject,
# and the podcast and media elements feedparser takes text and tags from. Plain substrings: a
# case-blind regular expression would take longer over a 50 KB feed than parsing it.
_FEEDPARSER_READS = (
    b"xml:base", b"origLink", b"uri>", b"email>", b"base64", b"escaped", b'"xhtml"', b"'xhtml'",
    b"<dc:subject", b"<itunes:", b"<media:", b"<googleplay:",
)  # fmt: skip
_strict: Any = None  # lxml's parser, made at the first document (importing lxml costs 20 ms)


def fast_feed(body: bytes, content_type: str, blank: Entry, base: str) -> list[Entry] | None:
    """The entries of `body` read by fastfeedparser, or None when feedparser is to read it."""
    if (found := _CHARSET.search(content_type)) and found[1].lower() not in _UTF8:
        return None
    if any(marker in body for marker in _FEEDPARSER_READS) or not _every_item_has_an_id(body):
        return None
    from lxml import etree

    global _strict
    if _strict is None:
        _strict = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.fromstring(body, _strict).getroottree()
    except (etree.XMLSyntaxError, ValueError):
        return None
    if (tree.docinfo.encoding or "utf-8").lower() not in _UTF8:
        return None
    import fastfeedparser

    try:
        parsed = fastfeedparser.parse(bytes(body), include_media=False, include_enclosures=False)
    except Exception:  # whatever it cannot read, feedparser reads (or says why not)
        return None
    if not parsed.get("entries"):
        return None  # feedparser tells an empty feed from a document that is not one
    feed = parsed.get("feed") or {}
    feed_authors = [{"name": feed["author"]}] if isinstance(feed.get("author"), str) else []
    plain = body.isascii() and b"&#" not in body
    entries = []
    for raw in parsed["entries"]:
        if (entry := feed_entry(feedparser_shape(raw, plain), feed_authors, blank, base)) is not None:
            entries.append(entry)
    return entries


def _every_item_has_an_id(body: bytes) -> bool:
    """Whether each item has a GUID (each entry an id): fastfeedparser makes one of the link."""
    items = body.count(b"<item")
    if items:
        # and a GUID that is not a permalink is a link to fastfeedparser when the item has none
        not_links = b'isPermaLink="false"' in body and body.count(b"<link") <= items
        return body.count(b"<guid") >= items and not not_links
    return body.count(b"<id>") > body.count(b"<entry")


def feedparser_shape(raw: Mapping[str, Any], plain: bool = False) -> dict[str, Any]:
    """fastfeedparser's entry under feedparser's keys, which `feed_entry` reads."""
    # Nothing to repair in ASCII without character references (most feeds in English)
    shaped: dict[str, Any] = dict(raw) if plain else _repaired(raw)
    if looks_like_html(raw.get("title") or ""):
        shaped["title_detail"] = {"type": "text/html"}
    if raw.get("description"):
        shaped["summary"] = raw["description"]
        shaped["summary_detail"] = {"type": "text/html"}
    for key in ("published", "updated"):
        if when := _iso_time(raw.get(key)):
            shaped[f"{key}_parsed"] = when.utctimetuple()
    return shaped


def _repaired(value: Any) -> Any:
    """`value` with every string in it repaired as feedparser repairs each element's text."""
    if isinstance(value, str):
        if value.isascii():
            return value
        with contextlib.suppress(UnicodeError):  # UTF-8 read as ISO-8859-1 and encoded again
            value = value.encode("iso-8859-1").decode("utf-8")
        return value.translate(_cp1252)  # and windows-1252's extensions among C1 controls
    if isinstance(value, Mapping):
        return {key: _repaired(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    return value


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
