"""One parsed feed entry to an `Entry`: the mapping every feed parser's output goes through.

It takes feedparser's entry dict (the keys and `*_detail` forms feedparser documents), so a
faster parser put in front of feedparser only has to produce that shape to share it.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from time import struct_time
from typing import Any
from urllib.parse import urljoin

from mentionscan.models import Entry
from mentionscan.text import html_to_text, one_line, without_cut_tag
from mentionscan.timeutil import parse_time
from mentionscan.urls import is_http_url, is_plain_link, safe_link

MAX_TEXT = 20_000  # characters of body text kept per entry: enough to match and quote
# Dublin Core's "Name (mailto:address)", and feedparser's own "Name (address)" for Atom.
_NAME_MAILTO = re.compile(
    r"^\s*(?P<name>.*?)\s*\(\s*(?:mailto:)?\s*(?P<email>[^()\s]+@[^()\s]+)\s*\)\s*$", re.I
)
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# What feedparser leaves of that form in a name: "Simon St.Laurent (mailto:"
_CUT_MAILTO = re.compile(r"\s*\(\s*(?:mailto:?)?\s*$", re.I)
_MAPPING = (dict, Mapping)  # dict first: it is what parsers give, and isinstance of an ABC is 7x slower


def link_on(base: str, link: object) -> str:
    """`link` as an absolute http(s) URL: a relative one is resolved against `base` ("" if none)."""
    if link is None:
        return ""
    written = one_line(link)
    if is_plain_link(written):  # most links, whole and plain
        return written
    if not written:
        return ""
    if not is_http_url(written) and is_http_url(base) and ":" not in written.split("/", 1)[0]:
        written = urljoin(base, written)
    return safe_link(written)


def text_of(value: Any, detail: Mapping[str, Any] | None) -> str:
    """Plain text of a feed text construct: HTML reduced to text, anything else on one line."""
    if not isinstance(value, str):
        return ""
    kind = str((detail or {}).get("type") or "")
    return html_to_text(value) if "html" in kind else without_cut_tag(one_line(value))


def date_of(raw: Mapping[str, Any], *keys: str) -> datetime | None:
    """The first of `keys` (feedparser's `*_parsed` time tuples) that is a real time, as UTC."""
    for key in keys:
        # dict.get skips FeedParserDict's deprecated updated->published alias and its warning.
        value = dict.get(raw, key) if isinstance(raw, dict) else raw.get(key)
        if value:
            if type(value) is struct_time and (fields := _in_range(value)):
                return fields
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _in_range(value: struct_time) -> datetime | None:
    """The UTC time of a tuple whose every field is in range, as timegm and fromtimestamp make it
    in three times as long; None for one they normalise (a 61st second, April 31st)."""
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except ValueError:
        return None


# RFC 822 dates written in another language ("mer, 16 nov 2022 00:38:15 +0100"): the month's
# name in Italian, French, German, Spanish, Portuguese or Dutch, and the weekday dropped.
_MONTHS = {
    name: english
    for english, names in {
        "Jan": "gen ene janv jan", "Feb": "febr fev févr feb", "Mar": "mär mrz mars mar maart",
        "Apr": "abr avr apr", "May": "mag mai may mei", "Jun": "giu juin jun", "Jul": "lug juil jul",
        "Aug": "ago août aout aug", "Sep": "set sept sep", "Oct": "ott out okt oct",
        "Nov": "nov", "Dec": "dic déc dez dec",
    }.items()
    for name in names.split()
}  # fmt: skip
_FOREIGN_DATE = re.compile(r"^\s*(?:[^\W\d]+\.?,\s*)?(\d{1,2})\s+([^\W\d]+)\.?\s+(\d{2,4}\b.*)$")


def foreign_date(raw: Mapping[str, Any], *keys: str) -> datetime | None:
    """A date feedparser could not read because its month is not in English, else None."""
    for key in keys:
        value = dict.get(raw, key) if isinstance(raw, dict) else raw.get(key)  # no alias: see date_of
        found = _FOREIGN_DATE.match(one_line(value))
        month = _MONTHS.get(found[2].lower()) if found else None
        if found and month and (when := parse_time(f"{found[1]} {month} {found[3]}")):
            return when
    return None


def person(name: object, email: object = None) -> tuple[str | None, str | None]:
    """A (name, email) pair from what a feed wrote for a person, in any of the usual forms."""
    if (name is None or type(name) is str) and (email is None or type(email) is str):
        return _written_person(name, email)
    return _person(one_line(name), one_line(email))


@functools.lru_cache(maxsize=1024)  # a feed names the same few people in every entry
def _written_person(name: str | None, email: str | None) -> tuple[str | None, str | None]:
    return _person(one_line(name), one_line(email))


def _person(written: str, email: str) -> tuple[str | None, str | None]:
    address = email or None
    if address:
        written = _CUT_MAILTO.sub("", written)
    if found := _NAME_MAILTO.match(written):
        return found["name"] or None, found["email"]
    if "@" in written:
        # `hr@acme.example (Acme HR)`: the standard library reads it whole, feedparser cuts it short
        parsed_name, parsed_address = parseaddr(written)
        if _ADDRESS.fullmatch(parsed_address):
            return one_line(parsed_name) or None, parsed_address
    return written or None, address if address and "@" in address else None


def authors_of(raw: Mapping[str, Any], feed_authors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The entry's authors in document order (feedparser keeps every Atom author in `authors`)."""
    listed = [
        a for a in raw.get("authors") or [] if isinstance(a, _MAPPING) and (a.get("name") or a.get("email"))
    ]
    if len(listed) == 1 and isinstance(raw.get("author"), str):
        # one author: what the feed wrote, whole (feedparser cuts "hr@acme.example (Acme HR)")
        return [{**dict(listed[0]), "name": raw["author"]}]
    if listed:
        return [dict(a) for a in listed]
    detail = raw.get("author_detail") or {}
    if detail or raw.get("author"):
        return [{**dict(detail), "name": raw.get("author") or detail.get("name")}]
    return [dict(a) for a in feed_authors]


# Where an entry's text may be, in order: its content, its summary, then what podcasts and media
# feeds put there (feedparser's names for media:description, googleplay:, itunes:summary, ...).
_TEXT_KEYS = ("media_description", "googleplay_description", "itunes_summary", "subtitle")


def _body(raw: Mapping[str, Any]) -> str:
    """The plain text of the first of the entry's content, summary and description that has any."""
    for content in raw.get("content") or []:
        if isinstance(content, _MAPPING) and (text := text_of(content.get("value"), content)):
            return text
    if text := text_of(raw.get("summary"), raw.get("summary_detail")):
        return text
    for key in _TEXT_KEYS:
        if text := text_of(raw.get(key), raw.get(f"{key}_detail") or {"type": "text/html"}):
            return text
    return ""


def _alternates(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entry's `<link>`s that are the page itself (feedparser's `link` needs a known type)."""
    links = [a for a in raw.get("links") or [] if isinstance(a, _MAPPING) and a.get("href")]
    return [a for a in links if a.get("rel") in (None, "", "alternate")]


def feed_entry(
    raw: Mapping[str, Any], feed_authors: Sequence[Mapping[str, Any]], blank: Entry, base: str
) -> Entry | None:
    """The `Entry` of one parsed entry (None when it has nothing to match); links resolved on `base`."""
    title = text_of(raw.get("title"), raw.get("title_detail"))
    text = _body(raw)[:MAX_TEXT]
    guid = one_line(raw.get("id")) or None
    link = _link(raw, guid, base)
    if not (title or text or link):
        return None
    written_by = authors_of(raw, feed_authors)
    people = [person(a.get("name"), a.get("email")) for a in written_by]
    names: tuple[str, ...]
    if len(people) == 1:  # most entries
        name, email = people[0]
        names, email = ((name,) if name else ()), email or None
    else:
        names = tuple(dict.fromkeys(name for name, _ in people if name))
        email = next((address for _, address in people if address), None)
    tags = tuple(
        t for t in (one_line(tag.get("term") or tag.get("label")) for tag in raw.get("tags") or []) if t
    )
    # Made whole, not `replace`d from `blank`: a third of the mapping's time was dataclasses.replace
    return Entry(
        source=blank.source,
        source_type=blank.source_type,
        key_scope=blank.key_scope,
        url=link,
        title=title,
        text=text,
        author=names[0] if names else None,
        authors=names if len(names) > 1 else (),
        author_url=(link_on(base, written_by[0].get("href")) or None) if written_by else None,
        author_email=email,
        published=date_of(raw, "published_parsed", "updated_parsed", "created_parsed")
        or foreign_date(raw, "published", "updated"),
        tags=tags,
        native_id=guid,
        language=_language(raw) or blank.language,
    )


def _link(raw: Mapping[str, Any], guid: str | None, base: str) -> str:
    """The entry's page: FeedBurner's origLink, its link, its alternate links, then a GUID that is one."""
    # FeedBurner's own link is a redirect through feeds.feedburner.com/~r/...; origLink is the page
    if link := link_on(base, raw.get("feedburner_origlink")):
        return link
    # feedparser copies a permalink GUID into `link`; such a link counts only as a whole URL
    # ("abc123" is no address, whatever isPermaLink says), after the entry's own links
    from_guid = bool(raw.get("guidislink")) and one_line(raw.get("link")) == guid
    if not from_guid and (link := link_on(base, raw.get("link"))):
        return link
    for alternate in _alternates(raw):
        if link := link_on(base, alternate.get("href")):
            return link
    if guid and raw.get("guidislink", True) is not False:
        return safe_link(guid)
    return ""


def _language(raw: Mapping[str, Any]) -> str:
    """The `xml:lang` of the entry's title or text, as feedparser keeps it in their `*_detail`."""
    for detail in (raw.get("title_detail"), raw.get("summary_detail"), *(raw.get("content") or [])):
        if detail and isinstance(detail, _MAPPING) and (declared := detail.get("language")):
            return one_line(declared)
    return ""
