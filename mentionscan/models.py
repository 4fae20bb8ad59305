"""The records that flow through mentionscan: an `Entry` read from a source, a `Mention` stored.

JSON form of a mention (the only fields any output carries, in this order):
`id`, `url`, `link`, `title`, `snippet`, `author`, `author_url`, `author_email`, `published`,
`found_at`, `source`, `source_type`, `queries`, `status`, `related`. `link` is what a
discussion (a Hacker News story, a Lobsters or Reddit link post) points at, `url` being the
discussion itself; `related` lists the ids of stored mentions of that page or of its discussions.
Times are ISO 8601 UTC strings (`2026-11-23T07:00:00Z`), missing values are `null`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from operator import itemgetter
from typing import Any

from mentionscan.text import fold, one_line
from mentionscan.timeutil import parse_time, to_iso, utcnow
from mentionscan.urls import host_of

STATUSES = ("new", "todo", "contacted", "replied", "resolved", "ignored")
OPEN_STATUSES = ("new", "todo")  # what still wants attention: what `list` shows
CLOSED_STATUSES = ("resolved", "ignored")  # done: no follow-up is due

RECORD_FIELDS = (
    "id",
    "url",
    "link",
    "title",
    "snippet",
    "author",
    "author_url",
    "author_email",
    "published",
    "found_at",
    "source",
    "source_type",
    "queries",
    "status",
    "related",
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as a source delivered it, already reduced to clean plain text.

    `native_id` is the source's own identity for the item (a feed GUID, `hn:123`, ...);
    `key_scope` says whether it is unique across the web (`global`) or only within the
    source that produced it (`source`, feed GUIDs).
    """

    source: str
    source_type: str
    url: str
    title: str
    text: str = ""
    author: str | None = None
    author_url: str | None = None
    author_email: str | None = None
    published: datetime | None = None
    tags: tuple[str, ...] = ()
    native_id: str | None = None
    key_scope: str = "source"
    link: str = ""  # a discussion's (an HN story's, a link post's): the page it is about
    authors: tuple[str, ...] = ()  # every author, when there are several (`author` is the first)
    language: str = ""  # as the feed or site declares it (`de`, `pt-BR`), else ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a parser made of one document: its entries, and what was wrong with it."""

    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)
    clean: bool = True  # False: usable but malformed, so don't keep validators that would hide a fix


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a mention's timeline: found, a status change, a note, a draft, a contact found."""

    at: datetime
    kind: str
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"at": to_iso(self.at), "kind": self.kind, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        at = parse_time(data.get("at")) or utcnow()
        return cls(at=at, kind=str(data.get("kind", "")), text=str(data.get("text", "")))


def _time(name: str) -> Callable[[dict[str, Any]], datetime | None]:
    return lambda data: parse_time(data.get(name))


def _strings(name: str) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    return lambda data: tuple(data.get(name) or ())


# How each field of a `Mention` reads from its JSON form (`to_dict`), defined once: `from_dict`
# reads them all, and a store that filters thousands of stored documents reads only the few
# fields its filter and order ask for (`store/docs.py`'s `DocumentView`).
MENTION_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "id": itemgetter("id"),
    "url": itemgetter("url"),
    "title": itemgetter("title"),
    "snippet": itemgetter("snippet"),
    "author": itemgetter("author"),
    "author_url": itemgetter("author_url"),
    "author_email": itemgetter("author_email"),
    "published": _time("published"),
    "found_at": lambda data: parse_time(data.get("found_at")) or utcnow(),
    "source": itemgetter("source"),
    "source_type": itemgetter("source_type"),
    "queries": _strings("queries"),
    "status": lambda data: data.get("status", "new"),
    "link": lambda data: data.get("link"),
    "related": _strings("related"),
    "keys": _strings("keys"),
    "text": lambda data: data.get("text", ""),
    "tags": _strings("tags"),
    "authors": _strings("authors"),
    "timeline": lambda data: tuple(Event.from_dict(e) for e in data.get("timeline") or ()),
    "due": _time("due"),
    "digested_at": _time("digested_at"),
    "contacts": lambda data: tuple(dict(c) for c in data.get("contacts") or ()),
    "extra": lambda data: dict(data.get("extra") or {}),
    "language": lambda data: str(data.get("language") or ""),
}


@dataclass(frozen=True, slots=True)
class Mention:
    """A stored mention: the public record fields, plus what the program and the user added."""

    id: str
    url: str
    title: str
    snippet: str
    author: str | None
    author_url: str | None
    author_email: str | None
    published: datetime | None
    found_at: datetime
    source: str
    source_type: str
    queries: tuple[str, ...]
    status: str = "new"
    link: str | None = None
    related: tuple[str, ...] = ()
    # Not part of the public record:
    keys: tuple[str, ...] = ()
    text: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # every author, when there are several
    timeline: tuple[Event, ...] = ()
    due: datetime | None = None
    digested_at: datetime | None = None
    contacts: tuple[dict[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    language: str = ""  # declared by the source, or detected for a `lang:` query ("" if neither)

    def to_record(self) -> dict[str, Any]:
        """The public JSON form: exactly `RECORD_FIELDS`, in that order."""
        return {
            "id": self.id,
            "url": self.url,
            "link": self.link or None,
            "title": self.title,
            "snippet": self.snippet,
            "author": self.author,
            "author_url": self.author_url,
            "author_email": self.author_email,
            "published": to_iso(self.published),
            "found_at": to_iso(self.found_at),
            "source": self.source,
            "source_type": self.source_type,
            "queries": list(self.queries),
            "status": self.status,
            "related": list(self.related),
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, as stored in the database."""
        data = self.to_record()
        data.update(
            keys=list(self.keys),
            text=self.text,
            tags=list(self.tags),
            authors=list(self.authors),
            timeline=[event.to_dict() for event in self.timeline],
            due=to_iso(self.due),
            digested_at=to_iso(self.digested_at),
            contacts=[dict(c) for c in self.contacts],
            extra=dict(self.extra),
        )
        if self.language:
            data["language"] = self.language
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mention:
        # Positional, in the order of the fields: every list, export and digest reads thousands of these.
        return cls(*[read(data) for read in _READERS])

    @property
    def author_key(self) -> str:
        """Who wrote it, as the author's history counts it: `author:<folded name>`, else `site:<host>`."""
        author = one_line(self.author or "")
        if author:
            return "author:" + fold(author)
        return "site:" + (host_of(self.url) or "?")

    @property
    def last_contacted(self) -> datetime | None:
        """When we last wrote to the author about it: set it `contacted`, or logged a draft."""
        times = [
            e.at for e in self.timeline if e.kind == "draft" or (e.kind == "status" and e.text == "contacted")
        ]
        return max(times) if times else None

    def with_event(self, kind: str, text: str = "", at: datetime | None = None, **changes: Any) -> Mention:
        """A copy with `changes` applied and one more timeline event."""
        event = Event(at=at or utcnow(), kind=kind, text=text)
        return replace(self, timeline=(*self.timeline, event), **changes)


_READERS = tuple(MENTION_FIELDS[f.name] for f in fields(Mention))  # in `Mention(...)`'s order
