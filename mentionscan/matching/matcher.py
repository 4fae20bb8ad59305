"""Match entries against many queries at once (the query language lives in `query.py`).

How it stays fast with a thousand queries:

* An entry's fields are joined into one string, folded once and turned into a *boundary form*:
  every character that is not a letter or digit becomes a space (same length as the fold, so
  offsets carry over). A whole word `acme` is then the substring " acme ", a prefix `acme*` is
  " acme", and each word of a phrase is " word ".
* Each query has *triggers*: words that it cannot match without (one word of each OR branch,
  one side of each AND, never an excluded word). One Aho-Corasick automaton holds the triggers of
  all queries; scanning costs about the same for 10 triggers or 1,000.
* Only queries whose trigger fired are evaluated. Their other terms are looked up directly
  (str.find, or a regex for phrases and punctuated words), at most once per entry.
* Which side of an AND makes the better trigger is first guessed from word length, then learned:
  a trigger found more than once per 64 entries is swapped for another choice where the query
  has one. This changes only the speed, never the results.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import ahocorasick

from mentionscan.errors import ConfigError
from mentionscan.matching.query import (
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
    format_query,
    parse_query,
    positive_terms,
    tag_key,
    tokens,
)
from mentionscan.text import fold

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

# Field codes; _TAG_LIST and URL offsets are into the original string already, the others into its fold.
TITLE, TEXT, TAG, AUTHOR, URL, _TAG_LIST = range(6)
_FIELD_NAMES = ("title", "text", "tag", "author", "url", "tag")
_FIELD_RANK = (0, 1, 2, 3, 4, 2)
_PLAIN = 1 << TITLE | 1 << TEXT | 1 << TAG  # where a bare word or phrase is looked for
_NOT_ALNUM = re.compile(r"[\W_]")  # `re`'s \w is exactly str.isalnum() plus "_"
# Fields are joined by _SEPARATOR. The boundary form keeps _SEP, and holds nothing else but letters,
# digits and spaces, so nothing searched for in it (letters, digits, spaces) can span two fields.
_SEP = "\x1f"
_SEPARATOR = f" {_SEP} "
_NOT_ALNUM_OR_SEP = re.compile(r"[^\w\x1f]|_")
# bytes.translate table to the boundary form: letters lowered, digits and _SEP kept, the rest a space
# (including the "?" that stands in for each non-ASCII character, which is handled apart)
_BOUNDARY = bytes(
    ord(chr(b).lower()) if (chr(b).isalnum() and b < 128) or chr(b) == _SEP else 0x20 for b in range(256)
)
_URL_HOST = re.compile(r"(?:(?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?(?:[^/?#@]*@)?([^/?#:]*)")
_FEW_NON_ASCII = 64  # beyond this many non-ASCII characters, folding the whole text at once is faster
_RUN_CACHE_LIMIT = 50_000
_COMMON = 1 / 64  # a trigger found more often than this per entry is worth replacing
# What can trigger a query: automaton keys (" acme ", " acme"), and sites and tags, named apart
_SITE_ATOM, _TAG_ATOM = "\x00site ", "\x00tag "
_FIRST_REVIEW = 64  # entries seen before the first look at how often triggers fire; then x4 each time
_LAST_REVIEW = 1 << 16  # ... up to this many entries between looks

# (field, tag index, start, end); start/end index the field's fold, or the field itself (see above)
_Occurrence = tuple[int, int, int, int]


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


class _Scan:
    """One entry made ready for searching: fields joined, folded, and in boundary form."""

    def __init__(self, doc: Document, count: int, folded: str, bounds: str) -> None:
        self.doc, self.count, self.folded, self.bounds = doc, count, folded, bounds
        self.starts: list[int] = []  # where each field starts in `folded`, once needed

    def add(self, out: list[_Occurrence], mask: int, start: int, end: int) -> None:
        """Append the occurrence at folded[start:end] if it lies in a field `mask` allows."""
        if not self.starts:
            self.starts.append(0)
            for _ in range(self.count - 1):
                self.starts.append(self.folded.index(_SEP, self.starts[-1]) + 2)
        n = bisect_right(self.starts, start) - 1
        tags = len(self.doc.tags)
        field, tag_index = (TITLE, -1) if n == 0 else (TEXT, -1) if n == 1 else (TAG, n - 2)
        if n == tags + 2:
            field, tag_index = AUTHOR, -1
        if mask & 1 << field:
            out.append((field, tag_index, start - self.starts[n], end - self.starts[n]))


class _Word:
    """A single run of letters and digits, whole or (`prefix`) as the start of a word."""

    def __init__(self, tid: int, token: str, prefix: bool, mask: int) -> None:
        self.tid, self.mask, self.prefix, self.size = tid, mask, prefix, len(token)
        self.key = f" {token}" if prefix else f" {token} "
        self.anchors = (self.key,)

    def find(self, scan: _Scan) -> list[_Occurrence]:
        out: list[_Occurrence] = []
        bounds, key = scan.bounds, self.key
        at = bounds.find(key)
        while at >= 0:  # the fold is the boundary form without its first space: `at` is the word's start
            end = bounds.find(" ", at + 1 + self.size) - 1 if self.prefix else at + self.size
            scan.add(out, self.mask, at, end)
            at = bounds.find(key, at + 1)
        return out


class _Pattern:
    """A phrase (matched in the boundary form) or a word with punctuation in it (in the fold)."""

    def __init__(self, tid: int, pattern: str, in_fold: bool, mask: int, anchors: Sequence[str]) -> None:
        self.tid, self.mask, self.in_fold, self.anchors = tid, mask, in_fold, tuple(anchors)
        self.pattern = re.compile(pattern)

    def find(self, scan: _Scan) -> list[_Occurrence]:
        out: list[_Occurrence] = []
        shift = 0 if self.in_fold else 1
        for m in self.pattern.finditer(scan.folded if self.in_fold else scan.bounds):
            scan.add(out, self.mask, m.start(1) - shift, m.end(1) - shift)
        return out


class _Site:
    """The entry's URL host is `domain` or below it."""

    def __init__(self, tid: int, domain: str) -> None:
        self.tid, self.domain, self.anchors = tid, domain, (_SITE_ATOM + domain,)

    def find(self, scan: _Scan) -> list[_Occurrence]:
        found = _url_host(scan.doc.url)
        if found and (found[0] == self.domain or found[0].endswith("." + self.domain)):
            return [(URL, -1, found[1], found[2])]
        return []


class _TagList:
    """The entry carries tag `key` (compared as `tag_key` forms)."""

    def __init__(self, tid: int, key: str) -> None:
        self.tid, self.key, self.anchors = tid, key, (_TAG_ATOM + key,)

    def find(self, scan: _Scan) -> list[_Occurrence]:
        tags = scan.doc.tags
        return [(_TAG_LIST, i, 0, len(tag)) for i, tag in enumerate(tags) if tag_key(tag) == self.key]


_Part = _Word | _Pattern | _Site | _TagList


@dataclass(frozen=True, slots=True)
class _Query:
    name: str
    node: Node
    test: Callable[[Callable[[int], bool]], bool]  # given "is term id present?", does it match?
    written: dict[int, str]  # positive term id -> the term as written in this query


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which atoms (automaton keys, sites, tags) trigger which queries."""

    automaton: ahocorasick.Automaton | None  # key -> (key, parts that key is the trigger for)
    sites: dict[str, tuple[_Part, ...]]
    tags: dict[str, tuple[_Part, ...]]
    queries_of: dict[int, tuple[int, ...]]  # term id -> queries it triggers
    complete: frozenset[int]  # term ids whose every occurrence the scan reports


class Matcher:
    """A set of named queries compiled for matching many documents."""

    def __init__(self, queries: Sequence[tuple[str, str | Node]]) -> None:
        """Compile `(name, expression or parsed query)` pairs; raises QuerySyntaxError naming a bad one."""
        self._term_ids: dict[tuple[object, ...], int] = {}
        self._ids: dict[Term, int] = {}  # a shortcut to _term_ids
        self._parts: list[list[_Part]] = []  # term id -> the ways it can occur
        self._queries: list[_Query] = []
        self._index: dict[str, int] = {}
        self._runs: dict[str, tuple[str, str]] = {}  # fold of short non-ASCII runs, see _fold_run
        for name, expr in queries:
            if name in self._index:
                raise ConfigError(f"query {name!r} is defined twice")
            node = parse_query(expr, context=f"query {name!r}: ") if isinstance(expr, str) else expr
            written: dict[int, str] = {}
            for term in positive_terms(node):
                written.setdefault(self._term_id(term), term.source or format_query(term))
            self._index[name] = len(self._queries)
            self._queries.append(_Query(name, node, self._compile(node), written))
        masks = [part.mask for parts in self._parts for part in parts if isinstance(part, _Word | _Pattern)]
        self._author = any(mask & 1 << AUTHOR for mask in masks)
        self._entries = self._planned_at = 0
        self._review_at = _FIRST_REVIEW
        self._fired: Counter[str] = Counter()  # trigger key -> how often it was found since planned
        self._rates: dict[str, float] = {}  # keys found too often, with their rate per entry
        self._plan = self._make_plan()

    @property
    def names(self) -> tuple[str, ...]:
        """The query names, in the order given."""
        return tuple(q.name for q in self._queries)

    def match(self, doc: Document, names: Collection[str] | None = None) -> list[Hit]:
        """The queries `doc` matches, in query order; with `names`, only those queries are tried."""
        plan = self._plan
        fields = (doc.title, doc.text, *doc.tags, *((doc.author,) if self._author else ()))
        joined = _SEPARATOR.join(fields)
        if joined.count(_SEP) != len(fields) - 1:  # a field holds the separator itself
            joined = _SEPARATOR.join(f.replace(_SEP, " ") for f in fields)
        folded, bounds = self._prepare(joined)
        pending: set[_Part] = set()
        if plan.automaton is not None:
            fired = []
            for _, (key, parts) in plan.automaton.iter(bounds):
                fired.append(key)
                pending.update(parts)
            if fired:
                self._fired.update(fired)
        if plan.sites and (host := _url_host(doc.url)):
            domain = host[0]
            while domain:
                pending.update(plan.sites.get(domain, ()))
                domain = domain.partition(".")[2]
        for tag in doc.tags if plan.tags else ():
            pending.update(plan.tags.get(tag_key(tag), ()))
        self._entries += 1
        if self._entries >= self._review_at:
            self._review()
        if not pending:
            return []
        scan = _Scan(doc, len(fields), folded, bounds)
        found: dict[int, list[_Occurrence]] = {}  # term id -> occurrences; [] when absent
        for part in pending:
            if occurrences := part.find(scan):
                found.setdefault(part.tid, []).extend(occurrences)
        candidates = {qi for tid in found for qi in plan.queries_of.get(tid, ())}
        if names is not None and candidates:
            allowed = names if isinstance(names, AbstractSet | Mapping) else set(names)
            candidates = {qi for qi in candidates if self._queries[qi].name in allowed}

        def present(tid: int) -> bool:
            if tid not in found:
                complete = tid in plan.complete
                found[tid] = [] if complete else [o for part in self._parts[tid] for o in part.find(scan)]
            return bool(found[tid])

        matched = [q for qi in sorted(candidates) if (q := self._queries[qi]).test(present)]
        spans = _Spans(doc, found)
        return [Hit(q.name, spans.of(t for t in q.written.items() if present(t[0]))) for q in matched]

    def explain(self, doc: Document, name: str) -> Hit | None:
        """What `match` finds for the one query `name` (ConfigError if there is no such query)."""
        if name not in self._index:
            raise ConfigError(f"no query named {name!r}")
        hits = self.match(doc, (name,))
        return hits[0] if hits else None

    def _compile(self, node: Node) -> Callable[[Callable[[int], bool]], bool]:
        if isinstance(node, Not):
            inner = self._compile(node.node)
            return lambda present: not inner(present)
        if isinstance(node, And | Or):
            parts = [self._compile(n) for n in node.nodes]
            if isinstance(node, And):
                return lambda present: all(p(present) for p in parts)
            return lambda present: any(p(present) for p in parts)
        tid = self._term_id(node)
        return lambda present: present(tid)

    def _term_id(self, term: Term) -> int:
        """The id of `term`, registering the ways it can occur the first time it is seen."""
        tid = self._ids.get(term)
        if tid is None:
            key, parts = _describe(term)
            tid = self._ids[term] = self._term_ids.setdefault(key, len(self._parts))
            if tid == len(self._parts):
                self._parts.append(parts(tid))
        return tid

    def _prepare(self, text: str) -> tuple[str, str]:
        """The fold of `text` and its boundary form (" " + fold with non-alnum as spaces + " ")."""
        raw = text.encode("ascii", "replace")  # one byte per character: offsets line up
        if text.isascii():
            return text.lower(), " " + raw.translate(_BOUNDARY).decode("ascii") + " "
        if raw.count(b"?") - text.count("?") > _FEW_NON_ASCII:
            whole = fold(text)
            return whole, " " + _NOT_ALNUM_OR_SEP.sub(" ", whole) + " "
        # Most text is ASCII with a few quotes, dashes and accents: fold only those runs (the fold
        # works character by character, so the pieces add up). bytes.find skips the ASCII at C speed.
        lower, blank = raw.lower().decode("ascii"), raw.translate(_BOUNDARY).decode("ascii")
        folded: list[str] = []
        scan, at, runs = [" "], 0, self._runs
        start = raw.find(b"?")
        while start >= 0:
            end = start + 1
            if text[start] != "?":
                while end < len(text) and text[end] > "\x7f":
                    end += 1
                run = text[start:end]
                run_folded, run_scan = runs.get(run) or self._fold_run(run)
                folded += (lower[at:start], run_folded)
                scan += (blank[at:start], run_scan)
                at = end
            start = raw.find(b"?", end)
        folded.append(lower[at:])
        scan += (blank[at:], " ")
        return "".join(folded), "".join(scan)

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

    def _review(self) -> None:
        """Note the triggers found too often; if that gives queries a better choice, replan."""
        entries = self._entries - self._planned_at
        self._review_at = self._entries + min(entries * 3, _LAST_REVIEW)
        fired = dict(self._fired)  # a copy: other threads may be matching
        common = {k: n / entries for k, n in fired.items() if n > entries * _COMMON and k not in self._rates}
        if common:
            self._rates.update(common)
            self._plan = self._make_plan()
            self._fired.clear()
            self._planned_at = self._entries

    def _make_plan(self) -> _Plan:
        def rate(atom: str) -> float:
            return self._rates.get(atom) or _guess_rate(atom)

        def cost(tid: int) -> float:
            return sum(min(rate(a) for a in part.anchors) for part in self._parts[tid])

        queries_of: defaultdict[int, list[int]] = defaultdict(list)
        for qi, query in enumerate(self._queries):
            choice = _triggers(query.node, self._term_id, cost)
            assert choice is not None  # the parser refuses queries that match without a term
            for tid in choice[1]:
                queries_of[tid].append(qi)
        by_atom: defaultdict[str, list[_Part]] = defaultdict(list)
        for tid in queries_of:
            for part in self._parts[tid]:
                by_atom[min(part.anchors, key=rate)].append(part)
        automaton = None
        if any(atom.startswith(" ") for atom in by_atom):
            automaton = ahocorasick.Automaton()
            for atom, parts in by_atom.items():
                if atom.startswith(" "):
                    automaton.add_word(atom, (atom, tuple(parts)))
            automaton.make_automaton()
        sites = {a[len(_SITE_ATOM) :]: tuple(p) for a, p in by_atom.items() if a.startswith(_SITE_ATOM)}
        tags = {a[len(_TAG_ATOM) :]: tuple(p) for a, p in by_atom.items() if a.startswith(_TAG_ATOM)}
        queries = {tid: tuple(qis) for tid, qis in queries_of.items()}
        return _Plan(automaton, sites, tags, queries, frozenset(queries))


def _describe(term: Term) -> tuple[tuple[object, ...], Callable[[int], list[_Part]]]:
    """What makes two terms the same (`acme` and `Acme` are), and how to build the parts of one."""
    mask, value = _PLAIN, term
    if isinstance(term, Field):
        mask, value = 1 << (TITLE if term.name == "title" else AUTHOR), term.value
    if isinstance(value, Site):
        domain = value.domain
        return ("site", domain), lambda tid: [_Site(tid, domain)]
    if isinstance(value, Tag):
        name = tag_key(value.name)
        hashtag = 1 << TITLE | 1 << TEXT
        return ("tag", name), lambda tid: [_TagList(tid, name), _literal(tid, "#" + name, False, hashtag)]
    if isinstance(value, Word):
        literal, prefix = fold(value.text), value.prefix
        return ("word", literal, prefix, mask), lambda tid: [_literal(tid, literal, prefix, mask)]
    assert isinstance(value, Phrase)
    words = tokens(" ".join(value.words))
    if len(words) == 1:  # a phrase of one word is that word: "acme" finds acme
        return ("word", words[0], False, mask), lambda tid: [_Word(tid, words[0], False, mask)]
    pattern = " (" + " +".join(map(re.escape, words)) + ")(?= )"
    anchors = [f" {w} " for w in words]
    return ("phrase", tuple(words), mask), lambda tid: [_Pattern(tid, pattern, False, mask, anchors)]


def _literal(tid: int, literal: str, prefix: bool, mask: int) -> _Part:
    if literal.isalnum():
        return _Word(tid, literal, prefix, mask)
    # Punctuation the boundary form lost: find the exact literal in the fold, with a boundary
    # where it starts or ends with a letter or digit (a prefix also takes the rest of the word).
    words = _NOT_ALNUM.sub(" ", literal).split()
    anchors = [f" {w} " for w in words]
    if prefix and literal[-1].isalnum():
        anchors[-1] = anchors[-1].rstrip()
    before = r"(?<![^\W_])" if literal[0].isalnum() else ""
    after = "" if not literal[-1].isalnum() else r"[^\W_]*" if prefix else r"(?![^\W_])"
    return _Pattern(tid, f"{before}({re.escape(literal)}{after})", True, mask, anchors)


def _triggers(
    node: Node, term_id: Callable[[Term], int], cost: Callable[[int], float], positive: bool = True
) -> tuple[float, frozenset[int]] | None:
    """Term ids at least one of which any match of `node` contains, at the least cost; None if none."""
    if isinstance(node, Not):
        return _triggers(node.node, term_id, cost, not positive)
    if isinstance(node, And | Or):
        choices = [_triggers(n, term_id, cost, positive) for n in node.nodes]
        if isinstance(node, And) == positive:  # an AND, or NOT over an OR: one side is enough
            return min((c for c in choices if c is not None), default=None, key=lambda c: c[0])
        if any(c is None for c in choices):
            return None
        return sum(c[0] for c in choices if c), frozenset().union(*(c[1] for c in choices if c))
    if not positive:
        return None
    tid = term_id(node)
    return cost(tid), frozenset((tid,))


def _guess_rate(atom: str) -> float:
    """How often an atom is found per entry, before anything is learned: short words are common."""
    if not atom.startswith(" "):
        return 0.01  # a site or a tag
    word = atom.strip()
    rate = 2.0 ** -min(len(word) * 1.5, 20)
    return rate if atom.endswith(" ") else rate * 4  # a prefix finds more


def _url_host(url: str) -> tuple[str, int, int] | None:
    """The host of `url` for `site:` (lower case, no trailing dot), and where it is in `url`."""
    if not url:
        return None
    found = _URL_HOST.match(url)
    assert found is not None  # every part of the pattern is optional
    host = found.group(1).lower().rstrip(".")
    # "www." needs no special case: the walk up the labels reaches the domain below it
    return (host, found.start(1), found.end(1)) if host else None


class _Spans:
    """Turns the occurrences found in one document into Spans, mapping offsets back lazily."""

    def __init__(self, doc: Document, found: dict[int, list[_Occurrence]]) -> None:
        self.doc, self.found = doc, found
        self.maps: dict[tuple[int, int], list[int] | None] = {}  # field -> its _fold_offsets

    def of(self, written: Iterator[tuple[int, str]]) -> tuple[Span, ...]:
        """The spans of these (term id, term as written), by field then position."""
        spans = sorted(
            (_FIELD_RANK[field], tag_index, *self._original(field, tag_index, start, end), term, field)
            for tid, term in written
            for field, tag_index, start, end in self.found[tid]
        )
        return tuple(Span(_FIELD_NAMES[f], start, end, term, i) for _, i, start, end, term, f in spans)

    def _original(self, field: int, tag_index: int, start: int, end: int) -> tuple[int, int]:
        if field in (URL, _TAG_LIST):
            return start, end
        key = (field, tag_index)
        if key not in self.maps:
            doc = self.doc
            text = doc.tags[tag_index] if field == TAG else (doc.title, doc.text, "", doc.author)[field]
            self.maps[key] = None if text.isascii() else _fold_offsets(text)
        where = self.maps[key]
        if where is None:
            return start, end
        # an end inside a character that folds to several (½ -> 1⁄2) takes the whole character
        return where[start], where[end] + (where[end] == where[end - 1])


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
