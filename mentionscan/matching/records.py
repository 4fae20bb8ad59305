"""What the matcher takes and gives: a `Document` (one entry as plain text), `Hit`s made of `Span`s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Document:
    """What a query is matched against: one entry, reduced to plain text."""

    title: str
    text: str = ""
    tags: tuple[str, ...] = ()
    url: str = ""
    author: str = ""
    link: str = ""  # a discussion's: the page it is about, which `site:` sees too
    language: str = ""  # as the source declared it (`de`, `pt-BR`); `lang:` detects it when ""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a term matched: offsets into the original field (for "tag", into `tags[tag_index]`)."""

    field: str  # "title" | "text" | "tag" | "author" | "url"
    start: int
    end: int
    term: str  # the term as written in the query: 'acme', '"acme widgets"', 'site:acme.example'
    tag_index: int = -1


@dataclass(frozen=True, slots=True)
class Hit:
    """A query that matched: every occurrence of its positive terms, by field then position."""

    query: str
    spans: tuple[Span, ...]
    language: str = ""  # the entry's, when a `lang:` term looked at it (declared or detected)
