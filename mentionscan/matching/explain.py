"""Why a mention matched, and what a query would match among given mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mentionscan.matching.matcher import Document, Hit, Matcher, Node, Span, parse_query
from mentionscan.matching.query import Word, signed_terms
from mentionscan.models import Mention
from mentionscan.text import one_line


class NamedQuery(Protocol):
    """A configured query (`config.model.QuerySpec` is one): its name, expression and parsed form."""

    @property
    def name(self) -> str: ...
    @property
    def match(self) -> str: ...
    @property
    def node(self) -> Node: ...


CONTEXT = 30  # characters shown on each side of a matched word
TEST_QUERY = "test-query"
_WORD = re.compile(r"[^\W_]+")
_OPERATOR_WORDS = {"and": "AND", "or": "OR", "not": "NOT"}


def document(mention: Mention) -> Document:
    """The stored mention as the matcher saw it when it was fetched."""
    return Document(
        title=mention.title,
        text=mention.text or mention.snippet,
        tags=mention.tags,
        url=mention.url,
        author=mention.author or "",
        link=mention.link or "",
        language=mention.language,
    )


@dataclass(frozen=True, slots=True)
class Evidence:
    """One matched term: the field, the term as written, the words found and a bit around them."""

    field: str
    term: str
    found: str
    context: str


@dataclass(frozen=True, slots=True)
class Trial:
    """What `test-query` found: each mention with the words that matched, and whether it is stored."""

    mention: Mention
    evidence: tuple[Evidence, ...]
    stored: bool = True


@dataclass(frozen=True, slots=True)
class Explanation:
    """One query and a mention: whether it matches now, and whether it matched when stored."""

    query: str
    expression: str | None  # None: the query is no longer in the config
    matches: bool
    stored: bool  # the mention records this query
    evidence: tuple[Evidence, ...] = ()
    notes: tuple[str, ...] = ()  # how the query reads lower-case and/or/not
    via: str = ""  # "source: url" of the item merged into this mention that the query matched


def evidence(doc: Document, hit: Hit) -> tuple[Evidence, ...]:
    return tuple(_evidence(doc, span) for span in hit.spans)


def _evidence(doc: Document, span: Span) -> Evidence:
    fields = {"title": doc.title, "text": doc.text, "author": doc.author, "url": doc.url, "link": doc.link}
    text = fields.get(span.field, "")
    if span.field == "tag" and 0 <= span.tag_index < len(doc.tags):
        text = doc.tags[span.tag_index]
    before = text[max(0, span.start - CONTEXT) : span.start]
    after = text[span.end : span.end + CONTEXT]
    found = text[span.start : span.end]
    context = ("…" if span.start > CONTEXT else "") + before + "[" + found + "]" + after
    context += "…" if span.end + CONTEXT < len(text) else ""
    return Evidence(span.field, span.term, one_line(found), one_line(context))


def sightings(mention: Mention) -> list[tuple[str, Document]]:
    """The other items merged into `mention` ("source: url", what the matcher saw of each)."""
    found = []
    for seen in mention.extra.get("sightings") or []:
        if isinstance(seen, dict):
            doc = Document(
                title=str(seen.get("title") or ""),
                text=str(seen.get("text") or ""),
                tags=tuple(str(t) for t in seen.get("tags") or ()),
                url=str(seen.get("url") or ""),
                author=str(seen.get("author") or ""),
            )
            found.append((f"{seen.get('source')}: {seen.get('url')}", doc))
    return found


def explain(mention: Mention, queries: Sequence[NamedQuery]) -> list[Explanation]:
    """Every configured query that matches `mention` now, and every query it was stored for.

    A query that matched an item merged into the mention (another post linking to the same page)
    is explained by that item's words.
    """
    doc = document(mention)
    matcher = Matcher([(q.name, q.node) for q in queries])
    result = []
    others = sightings(mention)
    for spec in queries:
        hit, where, via = matcher.explain(doc, spec.name), doc, ""
        for label, seen in others if hit is None else ():
            if (hit := matcher.explain(seen, spec.name)) is not None:
                where, via = seen, label
                break
        stored = spec.name in mention.queries
        if hit is not None or stored:
            found = evidence(where, hit) if hit else ()
            notes = tuple(reading_notes(spec.node))
            result.append(Explanation(spec.name, spec.match, hit is not None, stored, found, notes, via))
    names = {q.name for q in queries}
    result += [Explanation(name, None, False, True) for name in mention.queries if name not in names]
    return result


def try_query(expr: str, mentions: Iterable[Mention]) -> list[tuple[Mention, tuple[Evidence, ...]]]:
    """The mentions `expr` matches, in the order given, with what matched (QuerySyntaxError if bad)."""
    parse_query(expr)  # the error names the position in `expr`, with no query name in front
    matcher = Matcher([(TEST_QUERY, expr)])
    result = []
    for mention in mentions:
        doc = document(mention)
        hit = matcher.explain(doc, TEST_QUERY)
        if hit is not None:
            result.append((mention, evidence(doc, hit)))
    return result


def reading_notes(node: Node) -> list[str]:
    """How the query reads lower-case `and`, `or` and `not`: as words the text must hold (or not)."""
    notes = []
    for term, _positive in signed_terms(node):
        if isinstance(term, Word) and not term.prefix and term.text.lower() in _OPERATOR_WORDS:
            operator = _OPERATOR_WORDS[term.text.lower()]
            notes.append(
                f"{term.text!r} is read as a word the text must contain; "
                f"{operator} in capitals is the operator"
            )
    return list(dict.fromkeys(notes))
