"""`atom`: an Atom 1.0 feed of mentions; ids are stable UUID URNs, so a reader shows each one once."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from mentionscan import __version__
from mentionscan.delivery.formats import Context
from mentionscan.models import Mention
from mentionscan.text import clean, one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import safe_link

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters an Atom (XML 1.0) document may not hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _title(mention: Mention) -> str:
    return one_line(mention.title) or "(no title)"


def _when(mention: Mention) -> datetime:
    return mention.published or mention.found_at


def _xml(text: str) -> str:
    return _NOT_XML.sub("", clean(text))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    """An Atom 1.0 feed; ids are stable UUID URNs, so a reader shows each mention once.

    `feed_key` names the collection (the database location): the same key, the same feed id;
    `feed_url` and `page_url` are its `self` and `alternate` links.
    """
    now = context.now or utcnow()
    feed_key = context.feed_key
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "mentionscan:feed:" + feed_key)))
    _sub(feed, "title", "Mentions")
    # RFC 4287 4.2.7: `self` is where a reader fetches the feed again; `alternate` is the page it
    # belongs to, which a reader opens from the feed's title.
    if context.feed_url:
        _sub(feed, "link", rel="self", type="application/atom+xml", href=context.feed_url)
    if context.page_url:
        _sub(feed, "link", rel="alternate", type="text/html", href=context.page_url)
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
