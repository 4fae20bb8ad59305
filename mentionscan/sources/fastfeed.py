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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import unreadable
from mentionscan.sources.feedentry import feed_entry
from mentionscan.urls import redact

__all__ = ["fast_feed"]

_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# What fastfeedparser reads otherwise than feedparser (../shared/feeds/ shows each): xml:base,
# FeedBurner's origLink, base64, escaped and XHTML content, dc:subject, and the podcast and media
# elements feedparser takes text and tags from, and xml:lang or lang (feedparser gives each text
# the language in scope; `lang:` reads it) (an Atom author's e-mail and URI, and each Atom
# text's type, are read from lxml's tree, which fastfeedparser does not keep). Plain substrings: a
# case-blind regular expression would take longer over a 50 KB feed than parsing it. Each search
# of a 55 KB feed costs 30 µs: what several markers share is searched for once, then each of them.
_FEEDPARSER_READS: dict[bytes, tuple[bytes, ...]] = {
    b"xml:": (b"xml:base", b"xml:lang"), b"xhtml": (b'"xhtml"', b"'xhtml'"),
    b" lang=": (b' lang="', b" lang='"), b"origLink": (), b"base64": (), b"escaped": (),
    b"<dc:subject": (), b"<itunes:": (), b"<media:": (), b"<googleplay:": (),
}  # fmt: skip
_ATOM = "{http://www.w3.org/2005/Atom}"
_strict: Any = None  # lxml's parser, made at the first document (importing lxml costs 20 ms)


def fast_feed(body: bytes, content_type: str, blank: Entry, base: str) -> ParsedFeed | None:
    """`body` read by fastfeedparser, or None when feedparser is to read it."""
    if (found := _CHARSET.search(content_type)) and found[1].lower() not in _UTF8:
        return None
    if _feedparser_reads(body) or _fewer_ids_than_items(body):
        return None
    from lxml import etree

    global _strict
    if _strict is None:
        _strict = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, _strict)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if (root.getroottree().docinfo.encoding or "utf-8").lower() not in _UTF8 or not _ids_read_alike(root):
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
    if language := _channel_language(root):  # RSS <language> or <dc:language>, as feedparser's feed.language
        blank = replace(blank, language=language)
    shaped = [feedparser_shape(raw, plain) for raw in parsed["entries"]]
    if root.tag == f"{_ATOM}feed":
        if (author := root.find(f"{_ATOM}author")) is not None:
            feed_authors = [_atom_person(author)]
        types = _atom_types(root)
        if types is None or len(types) != len(shaped):
            return None
        for raw, kinds in zip(shaped, types, strict=True):
            raw.update(title_detail=kinds["title_detail"], summary_detail=kinds["summary_detail"])
            if person := kinds.get("author_detail"):
                raw.update(author_detail=person, authors=[person])
                raw["author"] = raw.get("author") or person.get("name") or person.get("email")
            for content in raw.get("content") or []:
                content["type"] = kinds["content"]["type"]
    entries = []
    for raw in shaped:
        if (entry := feed_entry(raw, feed_authors, blank, base)) is not None:
            entries.append(entry)
    warnings = [] if entries else [unreadable(len(parsed["entries"]), redact(base))]
    return ParsedFeed(entries, warnings)


def _channel_language(root: Any) -> str:
    if root.tag != "rss":
        return ""
    found = root.findtext("channel/language") or root.findtext(f"channel/{_DC}language") or ""
    return " ".join(found.split())


_DC = "{http://purl.org/dc/elements/1.1/}"


def _feedparser_reads(body: bytes) -> bool:
    """Whether `body` holds a marker of `_FEEDPARSER_READS` (a key that is one, or one of a key's)."""
    return any(
        part in body and (not whole or any(w in body for w in whole))
        for part, whole in _FEEDPARSER_READS.items()
    )


def _fewer_ids_than_items(body: bytes) -> bool:
    """Whether some item surely has no GUID (some entry no id): a count, before parsing anything."""
    # No items (or entries), no count of their ids: most documents are RSS or Atom, not both
    items, entries = body.count(b"<item>"), body.count(b"<entry")
    return bool((items and body.count(b"<guid") < items) or (entries and body.count(b"<id") < entries))


def _ids_read_alike(root: Any) -> bool:
    """Whether fastfeedparser finds each entry's GUID (or none) where feedparser does.

    It makes an id of the link where an item has no GUID, and a link of a GUID that says it is
    not a permalink; feedparser does neither. RSS 1.0 and Atom 0.3 go to feedparser.
    """
    global _without_id
    if _without_id is None:  # libxml2 walks the items six times faster than a loop of find()
        from lxml import etree

        _without_id = {
            "rss": etree.XPath(
                "boolean(channel/item[not(guid) or (not(link) and guid[1]/@isPermaLink = 'false')])"
            ),
            f"{_ATOM}feed": etree.XPath(
                "boolean(atom:entry[not(atom:id)])", namespaces={"atom": _ATOM[1:-1]}
            ),
        }
    found = _without_id.get(root.tag)
    return found is not None and not found(root)


_without_id: dict[str, Any] | None = None  # an item or entry without its id, by the root's tag


_TYPES = {"html": "text/html", "text/html": "text/html"}  # any other (and none) is plain text


def _atom_person(author: Any) -> dict[str, str]:
    """An Atom author's name, e-mail and URI as feedparser's `author_detail` (href for the URI)."""
    found = {key: author.findtext(f"{_ATOM}{name}") for key, name in _PERSON}
    return {key: value.strip() for key, value in found.items() if value and value.strip()}


_PERSON = (("name", "name"), ("email", "email"), ("href", "uri"))


def _atom_types(root: Any) -> list[dict[str, Any]] | None:
    """Each Atom entry's text types as feedparser's `*_detail`s (fastfeedparser keeps none).

    None when the feed or an entry has several authors: fastfeedparser keeps the first only.
    """
    if len(root.findall(f"{_ATOM}author")) > 1:
        return None
    details: list[dict[str, Any]] = []
    for entry in root.iterfind(f"{_ATOM}entry"):
        if len(entry.findall(f"{_ATOM}author")) > 1:
            return None
        kinds = {}
        for name in ("title", "summary", "content"):
            element = entry.find(f"{_ATOM}{name}")
            kind = element.get("type", "text") if element is not None else "text"
            kinds[name] = {"type": _TYPES.get(kind.lower(), "text/plain")}
        author = entry.find(f"{_ATOM}author")
        person = _atom_person(author) if author is not None else None
        details.append({"title_detail": kinds["title"], "summary_detail": kinds["summary"], **kinds})
        if person:
            details[-1]["author_detail"] = person
    return details


def feedparser_shape(raw: Mapping[str, Any], plain: bool = False) -> dict[str, Any]:
    """fastfeedparser's entry under feedparser's keys, which `feed_entry` reads."""
    # Nothing to repair in ASCII without character references (most feeds in English)
    shaped: dict[str, Any] = dict(raw) if plain else _repaired(raw)
    title = shaped.get("title") or ""
    # feedparser's rule for RSS text, which needs a close tag or an entity: most titles have neither
    if not isinstance(title, str) or "</" in title or "&" in title:
        from feedparser.mixin import _FeedParserMixin  # here: a run of 304s never imports a parser

        if _FeedParserMixin.looks_like_html(title):
            shaped["title_detail"] = {"type": "text/html"}
    if shaped.get("description"):
        shaped["summary"] = shaped["description"]
        shaped["summary_detail"] = {"type": "text/html"}
    for key in ("published", "updated"):
        if when := _iso_time(shaped.get(key)):
            shaped[f"{key}_parsed"] = when.utctimetuple()
    return shaped


def _repaired(value: Any) -> Any:
    """`value` with every string in it repaired as feedparser repairs each element's text."""
    if isinstance(value, str):
        if value.isascii():
            return value
        with contextlib.suppress(UnicodeError):  # UTF-8 read as ISO-8859-1 and encoded again
            value = value.encode("iso-8859-1").decode("utf-8")
        from feedparser.html import _cp1252

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
