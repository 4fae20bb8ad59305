"""A fast path for the plain RSS 2.0 most sites serve: feedparser's entries, five times faster.

feedparser handles every format, encoding and error a feed can have, at a cost: about 20 ms for
a 50-entry feed of 55 KB, most of the CPU of a fetch. Most feeds are well-formed UTF-8 (or ASCII)
RSS 2.0 whose items hold only the usual elements. For those, `simple_rss_entries` reads the
document with the standard library's ElementTree (expat, in C; about 4 ms) and builds, for each
item, the dict feedparser would build for it (the keys `feeds._xml_entry` reads), applying
feedparser's own transformations in the same order (its date parser, its HTML sniffing of
titles, its fixes for double-encoded UTF-8 and Windows-1252 characters, its link clean-up).
Anything else (another format or version, an element or attribute it does not know, a repeated
element, xml:base, a DTD, an encoding it cannot be sure of, any parse error) returns None, and
feedparser reads the document as before. tests/test_fastfeed.py checks both give the same
entries on feedparser's own test corpus, on tricky items and on generated feeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from xml.etree import ElementTree

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
WFW_COMMENTS = "{http://wellformedweb.org/CommentAPI/}commentRss"
SLASH_COMMENTS = "{http://purl.org/rss/1.0/modules/slash/}comments"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
SY = "{http://purl.org/rss/1.0/modules/syndication/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# Item children read here; every other element sends the document to feedparser.
ITEM_TEXT = frozenset({"title", "link", "description", "guid", "pubDate", "category", "author"})
ITEM_OTHER = frozenset({"comments", "enclosure", CONTENT, DC_CREATOR, WFW_COMMENTS, SLASH_COMMENTS})
# Channel children that cannot change an entry (a channel author would: it is not in the list).
CHANNEL = frozenset(
    {
        "title",
        "link",
        "description",
        "language",
        "copyright",
        "lastBuildDate",
        "pubDate",
        "generator",
        "docs",
        "ttl",
        "image",
        "category",
        "webMaster",
        "item",
        ATOM_LINK,
        SY + "updatePeriod",
        SY + "updateFrequency",
    }
)
# Encodings that read ASCII bytes as the same characters: for an ASCII document, whichever of
# them feedparser picks from the headers and the XML declaration, the text is the same.
ASCII_SAFE = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "windows-1252"})
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
# feedparser's own email pattern for an author written as "name (email)" (mixin._sync_author_detail)
_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"""
    r"""([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)


class _NotSimple(Exception):
    """The document needs feedparser."""


def simple_rss_entries(body: bytes, headers: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """feedparser's entry dicts for a plain RSS 2.0 document, or None when feedparser must read it."""
    if not _encoding_is_certain(body, headers) or _DECLARATIONS.search(body):
        return None
    try:
        # No DTD gets here (checked above), so no entity expansion and no external entity.
        root = ElementTree.fromstring(body)  # noqa: S314
    except (ElementTree.ParseError, ValueError):
        return None
    try:
        return _entries(root)
    except _NotSimple:
        return None


def _encoding_is_certain(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether feedparser would read `body` as the UTF-8 that ElementTree reads."""
    content_type = ""
    for key, value in headers.items():
        if key.lower() == "content-type":
            content_type = value.lower()
    media, _, params = content_type.partition(";")
    media = media.strip()
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip() == "charset":
            charset = value.strip().strip("\"'")
    declared = _XML_ENCODING.match(body[:200])
    xml_encoding = declared.group(1).decode("ascii", "replace").lower() if declared else ""
    if body.isascii():
        return charset in ASCII_SAFE | {""} and xml_encoding in ASCII_SAFE | {""}
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body[:4]:
        return False  # UTF-16 or UTF-32
    xml_media = media in ("application/xml", "application/xml-external-parsed-entity") or (
        media.startswith("application/") and media.endswith("+xml")
    )
    return xml_media and charset in ("", "utf-8", "utf8") and xml_encoding in ("", "utf-8", "utf8")


def _entries(root: ElementTree.Element) -> list[dict[str, Any]]:
    if root.tag != "rss" or root.get("version") != "2.0" or _attributes(root) - {"version"}:
        raise _NotSimple
    channels = list(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        raise _NotSimple
    entries = []
    for child in channels[0]:
        if child.tag not in CHANNEL or XML_BASE in child.attrib:
            raise _NotSimple
        if child.tag == "item":
            entries.append(_entry(child))
        elif len(child) and (child.tag != "image" or any(XML_BASE in e.attrib for e in child.iter())):
            raise _NotSimple  # only <image> has elements inside, and none of them may set a base
    return entries


def _attributes(element: ElementTree.Element) -> set[str]:
    if XML_BASE in element.attrib:
        raise _NotSimple
    return set(element.attrib) - {"{http://www.w3.org/XML/1998/namespace}lang"}


def _entry(item: ElementTree.Element) -> dict[str, Any]:
    if _attributes(item):
        raise _NotSimple
    seen: set[str] = set()
    raw: dict[str, Any] = {}
    for child in item:
        tag = child.tag
        if tag not in ITEM_TEXT and tag not in ITEM_OTHER:
            raise _NotSimple
        if len(child):
            raise _NotSimple  # markup inside a text element: feedparser keeps it, ElementTree would not
        if tag in seen and tag not in ("category", "enclosure"):
            raise _NotSimple  # which one wins differs from element to element in feedparser
        seen.add(tag)
        attributes = _attributes(child)
        allowed = {"guid": {"isPermaLink"}, "enclosure": {"url", "length", "type"}}.get(tag, set())
        if attributes - allowed:
            raise _NotSimple
        _read(raw, tag, child)
    return raw


def _read(raw: dict[str, Any], tag: str, element: ElementTree.Element) -> None:
    """What feedparser stores for one item child (namespaces/_base.py, mixin.py `pop`)."""
    text = (element.text or "").strip()
    if tag == "title":
        kind = "text/html" if _looks_like_html(text) else "text/plain"
        value = _finish(text)
        raw["title"] = value
        raw["title_detail"] = {"type": kind, "language": None, "base": "", "value": value}
    elif tag == "description":
        value = _finish(text)
        raw["summary"] = value
        raw["summary_detail"] = {"type": "text/html", "language": None, "base": "", "value": value}
    elif tag == CONTENT:
        value = _finish(text)
        raw.setdefault("content", []).append(
            {"type": "text/html", "language": None, "base": "", "value": value}
        )
        raw.setdefault("summary", value)
    elif tag == "link":
        value = _finish(_resolve(text))
        value = _LINK_ENTITY.sub(r"&\g<1>", value.replace("&amp;", "&"))
        raw["link"] = value
    elif tag == "guid":
        permalink = element.get("isPermaLink", "true") == "true"
        value = _finish(_resolve(text) if permalink else text)
        raw["id"] = value
        raw["guidislink"] = permalink and "link" not in raw
        if permalink:
            raw.setdefault("link", value)
    elif tag == "pubDate":
        from feedparser.datetimes import _parse_date

        value = _finish(text)
        raw["published"] = value
        raw["published_parsed"] = _parse_date(value)
    elif tag == "category":
        value = _finish(text)
        tags = raw.setdefault("tags", [])
        tag_dict = {"term": value, "scheme": None, "label": None}
        if value and tag_dict not in tags:
            tags.append(tag_dict)
    elif tag in ("author", DC_CREATOR):
        _author(raw, _finish(text))
    # comments, enclosure, wfw:commentRss, slash:comments: nothing an entry reads


def _author(raw: dict[str, Any], author: str) -> None:
    raw["author"] = author
    if not author:
        return
    detail: dict[str, str] = {}
    email = None
    found = _EMAIL.search(author)
    if found:
        email = found.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "")
        author = author.strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author or email:
        raw.setdefault("author_detail", detail)
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email


def _resolve(uri: str) -> str:
    from feedparser.urls import _urljoin

    return str(_urljoin("", uri))


def _looks_like_html(text: str) -> bool:
    from feedparser.mixin import _FeedParserMixin

    return bool(_FeedParserMixin.looks_like_html(text))


def _finish(text: str) -> str:
    """feedparser's last steps for every text: undo UTF-8 read as Latin-1, map Windows-1252."""
    from feedparser.html import _cp1252

    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252)
