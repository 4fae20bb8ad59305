"""Match entries against many queries at once (the query language lives in `query.py`).

Every term of every query goes into one Aho-Corasick automaton. Each field is folded once and
scanned once in its *boundary form*: the fold with every character that is not a letter or digit
turned into a space, padded with a space at each end (same length as the fold, so offsets carry
over). Automaton keys carry the spaces that stand for word boundaries (" acme " for `acme`,
" acme" for `acme*`), so a raw hit is already a whole-word hit and the Python loop only runs for
real occurrences. Only queries with a positive term found are evaluated: the parser rejects
queries that could match without one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Container, Iterator, Sequence
from dataclasses import dataclass

import ahocorasick

from mentionscan.errors import ConfigError
from mentionscan.query import (
    And,
    Field,
    Node,
    Not,
    Or,
    Phrase,
    Site,
    Tag,
    Term,
    Word,
    excluded_terms,
    fold,
    format_query,
    parse_query,
    positive_terms,
    signed_terms,
    tag_key,
    tokens,
)

__all__ = [
    "And",
    "Document",
    "Field",
    "Hit",
    "Matcher",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Site",
    "Span",
    "Tag",
    "Term",
    "Word",
    "excluded_terms",
    "fold",
    "format_query",
    "parse_query",
    "positive_terms",
]

TITLE, TEXT, TAG, AUTHOR, URL = range(5)
_FIELD_NAMES = ("title", "text", "tag", "author", "url")
_PLAIN = 1 << TITLE | 1 << TEXT | 1 << TAG  # where a bare word or phrase is looked for
_WORD, _PREFIX, _PHRASE = range(3)
_NOT_ALNUM = re.compile(r"[\W_]")  # `re`'s \w is exactly str.isalnum() plus "_"
# Fields are joined by _SEPARATOR for scanning. The boundary form keeps _SEP (nothing else but
# letters, digits and spaces), so no key (letters, digits, spaces) can match across it.
_SEP = "\x1f"
_SEPARATOR = f" {_SEP} "
_NOT_ALNUM_OR_SEP = re.compile(r"[^\w\x1f]|_")
# bytes.translate table to the boundary form: letters lowered, digits kept, anything else a space
# (including the "?" that stands in for each non-ASCII character, which is handled apart)
_BOUNDARY = bytes(
    ord(chr(b).lower()) if (chr(b).isalnum() and b < 128) or chr(b) == _SEP else 0x20 for b in range(256)
)
_RUN_CACHE_LIMIT = 50_000
_FEW_NON_ASCII = 64  # beyond this many non-ASCII characters, folding the whole text at once is faster
# urlsplit costs more than scanning a whole entry; this takes the host of a URL, with or without scheme
_URL_HOST = re.compile(r"(?:(?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?(?:[^/?#@]*@)?([^/?#:]*)")

# (field, tag index, start, end)
_Occurrence = tuple[int, int, int, int]
# (kind, term id, field mask, start offset back from the key's last char, literal length, literal to verify)
_Probe = tuple[int, int, int, int, int, str | None]


@dataclass(frozen=True, slots=True)
class Document:
    """What a query is matched against: one entry, reduced to plain text."""

    title: str
    text: str = ""
    tags: tuple[str, ...] = ()
    url: str = ""
    author: str = ""


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


@dataclass(frozen=True, slots=True)
class _Query:
    name: str
    test: Callable[[Container[int]], bool]
    written: dict[int, str]  # positive term id -> the term as written in this query


class Matcher:
    """A set of named queries compiled for matching many documents."""

    def __init__(self, queries: Sequence[tuple[str, str]]) -> None:
        """Compile `(name, expression)` pairs; raises QuerySyntaxError naming the bad query."""
        self._term_ids: dict[tuple[object, ...], int] = {}
        self._probes: defaultdict[str, list[_Probe]] = defaultdict(list)
        self._phrases: dict[int, re.Pattern[str]] = {}
        self._sites: defaultdict[str, list[int]] = defaultdict(list)
        self._tags: defaultdict[str, list[int]] = defaultdict(list)
        self._direct: set[int] = set()  # tag: terms, whose matches in the tag list are whole tags
        self._queries_of: defaultdict[int, list[int]] = defaultdict(list)  # positive use only
        self._queries: list[_Query] = []
        self._index: dict[str, int] = {}
        self._runs: dict[str, tuple[str, str]] = {}  # fold of short non-ASCII runs, see _fold_run
        for name, expr in queries:
            if name in self._index:
                raise ConfigError(f"query {name!r} is defined twice")
            node = parse_query(expr, context=f"query {name!r}: ")
            self._index[name] = len(self._queries)
            self._queries.append(self._compile_query(name, node))
        self._automaton: ahocorasick.Automaton | None = None
        if self._probes:
            self._automaton = ahocorasick.Automaton()
            for key, probes in self._probes.items():
                self._automaton.add_word(key, tuple(probes))
            self._automaton.make_automaton()
        self._author_terms = any(mask & 1 << AUTHOR for ps in self._probes.values() for _, _, mask, *_ in ps)

    @property
    def names(self) -> tuple[str, ...]:
        """The query names, in the order given."""
        return tuple(q.name for q in self._queries)

    def match(self, doc: Document, names: Collection[str] | None = None) -> list[Hit]:
        """The queries `doc` matches, in query order; with `names`, only those queries are tried."""
        allowed = None if names is None else {self._index[n] for n in names if n in self._index}
        if allowed is not None and not allowed:
            return []
        found: dict[int, list[_Occurrence]] = {}
        if self._automaton is not None:
            self._scan(doc, found)
        if self._tags:
            for i, tag in enumerate(doc.tags):
                for tid in self._tags.get(tag_key(tag), ()):
                    found.setdefault(tid, []).append((TAG, i, 0, len(tag)))
        if self._sites and doc.url:
            self._match_site(doc.url, found)
        if not found:
            return []
        candidates = {qi for tid in found for qi in self._queries_of.get(tid, ())}
        if allowed is not None:
            candidates &= allowed
        matched = [q for qi in sorted(candidates) if (q := self._queries[qi]).test(found)]
        if not matched:
            return []
        spans = _Spans(doc, found, self._direct)
        return [Hit(q.name, spans.of(q.written)) for q in matched]

    def explain(self, doc: Document, name: str) -> Hit | None:
        """What `match` finds for the one query `name` (ConfigError if there is no such query)."""
        if name not in self._index:
            raise ConfigError(f"no query named {name!r}")
        hits = self.match(doc, (name,))
        return hits[0] if hits else None

    def _compile_query(self, name: str, node: Node) -> _Query:
        written: dict[int, str] = {}
        for term, positive in signed_terms(node):
            tid = self._term_id(term)
            if positive and tid not in written:
                written[tid] = term.source or format_query(term)
                self._queries_of[tid].append(len(self._queries))
        return _Query(name, self._compile(node), written)

    def _compile(self, node: Node) -> Callable[[Container[int]], bool]:
        if isinstance(node, Not):
            inner = self._compile(node.node)
            return lambda present: not inner(present)
        if isinstance(node, And | Or):
            parts = [self._compile(n) for n in node.nodes]
            if isinstance(node, And):
                return lambda present: all(p(present) for p in parts)
            return lambda present: any(p(present) for p in parts)
        tid = self._term_id(node)
        return lambda present: tid in present

    def _term_id(self, term: Term) -> int:
        """The id of `term`, registering what finds it the first time it is seen."""
        mask, value = _PLAIN, term
        if isinstance(term, Field):
            mask, value = 1 << (TITLE if term.name == "title" else AUTHOR), term.value
        literal, prefix, words = "", False, []
        if isinstance(value, Phrase):
            words = tokens(" ".join(value.words))
            if len(words) == 1:  # a phrase of one word is that word ("acme" finds acme)
                literal = words[0]
        elif isinstance(value, Word):
            literal, prefix = fold(value.text), value.prefix
        key: tuple[object, ...]
        if literal:
            key = ("word", literal, prefix, mask)
        elif isinstance(value, Site):
            key = ("site", value.domain)
        elif isinstance(value, Tag):
            key = ("tag", tag_key(value.name))
        else:
            key = ("phrase", tuple(words), mask)
        if key in self._term_ids:
            return self._term_ids[key]
        tid = self._term_ids[key] = len(self._term_ids)
        if literal:
            self._add_literal(tid, literal, _PREFIX if prefix else _WORD, mask)
        elif words:
            anchor = max(words, key=len)  # the longest word is likely the rarest
            self._probes[f" {anchor} "].append((_PHRASE, tid, mask, 0, 0, None))
            self._phrases[tid] = re.compile(" " + " +".join(map(re.escape, words)) + "(?= )")
        elif isinstance(value, Site):
            self._sites[value.domain].append(tid)
        elif isinstance(value, Tag):
            self._tags[tag_key(value.name)].append(tid)
            self._direct.add(tid)
            self._add_literal(tid, "#" + tag_key(value.name), _WORD, 1 << TITLE | 1 << TEXT)
        return tid

    def _add_literal(self, tid: int, literal: str, kind: int, mask: int) -> None:
        # a space stands for the boundary on each side where the literal ends in a letter or digit
        lead = 1 if literal[0].isalnum() else 0
        trail = " " if literal[-1].isalnum() and kind == _WORD else ""
        key = " " * lead + _NOT_ALNUM.sub(" ", literal) + trail
        verify = None if literal.isalnum() else literal  # the boundary form lost its punctuation
        self._probes[key].append((kind, tid, mask, len(key) - 1 - lead, len(literal), verify))

    def _scan(self, doc: Document, out: dict[int, list[_Occurrence]]) -> None:
        # All fields are scanned as one string, joined by a separator no key can cross: one call
        # each to fold and to the automaton, instead of one per field.
        fields = (
            (doc.title, doc.text, *doc.tags, doc.author)
            if self._author_terms
            else (doc.title, doc.text, *doc.tags)
        )
        joined = _SEPARATOR.join(fields)
        if joined.count(_SEP) != len(fields) - 1:  # a field holds the separator itself
            joined = _SEPARATOR.join(f.replace(_SEP, " ") for f in fields)
        folded, scan = self._prepare(joined)
        assert self._automaton is not None
        hits: list[tuple[int, int, int, int]] = []  # term id, mask, start and end in `folded`
        phrases: dict[int, int] = {}  # term id -> mask
        for end, probes in self._automaton.iter(scan):
            for kind, tid, mask, back, size, verify in probes:
                if kind == _PHRASE:
                    phrases[tid] = mask
                    continue
                start = end - back - 1  # -1: the boundary form has one more char in front
                if verify is not None and (start < 0 or folded[start : start + size] != verify):
                    continue
                stop = start + size if kind == _WORD else scan.find(" ", start + 1 + size) - 1
                hits.append((tid, mask, start, stop))
        for tid, mask in phrases.items():
            hits.extend((tid, mask, m.start(), m.end() - 1) for m in self._phrases[tid].finditer(scan))
        if not hits:
            return
        starts = [0]  # where each field starts in `folded`
        for _ in fields[1:]:
            starts.append(folded.index(_SEP, starts[-1]) + 2)
        for tid, mask, start, stop in hits:
            n = bisect_right(starts, start) - 1
            field, tag_index = (TITLE, -1) if n == 0 else (TEXT, -1) if n == 1 else (TAG, n - 2)
            if n == len(doc.tags) + 2:
                field, tag_index = AUTHOR, -1
            if mask & 1 << field:
                out.setdefault(tid, []).append((field, tag_index, start - starts[n], stop - starts[n]))

    def _prepare(self, text: str) -> tuple[str, str]:
        """The fold of `text` and its boundary form."""
        raw = text.encode("ascii", "replace")  # one byte per character: offsets line up
        if text.isascii():
            return text.lower(), " " + raw.translate(_BOUNDARY).decode("ascii") + " "
        if raw.count(b"?") - text.count("?") > _FEW_NON_ASCII:
            folded = fold(text)
            return folded, " " + _NOT_ALNUM_OR_SEP.sub(" ", folded) + " "
        # Most text is ASCII with a few quotes, dashes and accents: fold only those runs (the fold
        # works character by character, so the pieces add up).
        lower, blank = raw.lower().decode("ascii"), raw.translate(_BOUNDARY).decode("ascii")
        parts: list[str] = []
        scan, at = [" "], 0
        for start, end in _non_ascii_runs(text, raw):
            run_folded, run_scan = self._fold_run(text[start:end])
            parts += (lower[at:start], run_folded)
            scan += (blank[at:start], run_scan)
            at = end
        parts.append(lower[at:])
        scan += (blank[at:], " ")
        return "".join(parts), "".join(scan)

    def _fold_run(self, run: str) -> tuple[str, str]:
        cached = self._runs.get(run)
        if cached is None:
            run_folded = fold(run)
            cached = (run_folded, _NOT_ALNUM.sub(" ", run_folded))
            if len(run) <= 4:  # short runs repeat (quotes, dashes, accents); long ones rarely do
                if len(self._runs) >= _RUN_CACHE_LIMIT:
                    self._runs.clear()
                self._runs[run] = cached
        return cached

    def _match_site(self, url: str, out: dict[int, list[_Occurrence]]) -> None:
        host = _URL_HOST.match(url)
        assert host is not None  # every part of the pattern is optional
        # no need to drop "www." here: walking up the labels reaches the domain below it anyway
        domain = host.group(1).lower().rstrip(".")
        while domain:
            for tid in self._sites.get(domain, ()):
                out.setdefault(tid, []).append((URL, -1, host.start(1), host.end(1)))
            domain = domain.partition(".")[2]


class _Spans:
    """Turns the occurrences found in one document into Spans, mapping offsets back lazily."""

    def __init__(self, doc: Document, found: dict[int, list[_Occurrence]], direct: set[int]) -> None:
        self.doc, self.found, self.direct = doc, found, direct
        self.original: dict[int, list[_Occurrence]] = {}  # term id -> occurrences in original offsets
        self.maps: dict[tuple[int, int], list[int] | None] = {}  # field -> its _fold_offsets

    def of(self, written: dict[int, str]) -> tuple[Span, ...]:
        """The spans of the terms in `written` (term id -> term as written), by field then position."""
        spans = [
            (*occurrence, term)
            for tid, term in written.items()
            if tid in self.found
            for occurrence in self._original(tid)
        ]
        if len(written) > 1:
            spans.sort()
        return tuple(Span(_FIELD_NAMES[f], start, end, term, i) for f, i, start, end, term in spans)

    def _original(self, tid: int) -> list[_Occurrence]:
        if tid in self.original:
            return self.original[tid]
        out = self.original[tid] = []
        for field, tag_index, start, end in self.found[tid]:
            direct = field == URL or (field == TAG and tid in self.direct)
            where = None if direct else self._map(field, tag_index)
            if where is None:
                out.append((field, tag_index, start, end))
            else:
                # an end inside a character that folds to several (ß -> ss) takes the whole character
                out.append((field, tag_index, where[start], where[end] + (where[end] == where[end - 1])))
        return out

    def _map(self, field: int, tag_index: int) -> list[int] | None:
        key = (field, tag_index)
        if key not in self.maps:
            doc = self.doc
            text = doc.tags[tag_index] if field == TAG else (doc.title, doc.text, "", doc.author)[field]
            self.maps[key] = None if text.isascii() else _fold_offsets(text)
        return self.maps[key]


def _non_ascii_runs(text: str, raw: bytes) -> Iterator[tuple[int, int]]:
    """Where the runs of non-ASCII characters are; `raw` is `text` encoded to ASCII with "?" for them."""
    # bytes.find skips ASCII at C speed, where a regex tries each position (~25 µs per 800 chars)
    at = raw.find(b"?")
    while at >= 0:
        if text[at] == "?":
            at = raw.find(b"?", at + 1)
            continue
        end = at + 1
        while end < len(text) and text[end] >= "\x80":
            end += 1
        yield at, end
        at = raw.find(b"?", end)


def _fold_offsets(text: str) -> list[int]:
    """For each index into fold(text), the index of the character it came from; then len(text)."""
    where: list[int] = []
    at = 0
    for start, end in _non_ascii_runs(text, text.encode("ascii", "replace")):
        where.extend(range(at, start))
        for i in range(start, end):
            where.extend([i] * len(fold(text[i])))
        at = end
    where.extend(range(at, len(text) + 1))
    return where
