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

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import ahocorasick

from mentionscan.errors import ConfigError
from mentionscan.matching.boundary import Folder
from mentionscan.matching.parts import (
    AUTHOR,
    SEP,
    SEPARATOR,
    SITE_ATOM,
    TAG_ATOM,
    UNSPACED_ATOM,
    Occurrence,
    Part,
    PatternPart,
    Scan,
    WordPart,
    describe,
    url_host,
)
from mentionscan.matching.query import (
    And,
    Field,
    Lang,
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
    signed_terms,
    tag_key,
)
from mentionscan.matching.records import Document, Hit, Span
from mentionscan.matching.spans import Spans
from mentionscan.text import fold

__all__ = [
    "And",
    "Document",
    "Field",
    "Hit",
    "Lang",
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

# Field codes; TAG_LIST and URL offsets are into the original string already, the others into its fold.
_COMMON = 1 / 64  # a trigger found more often than this per entry is worth replacing
_FIRST_REVIEW = 64  # entries seen before the first look at how often triggers fire; then x4 each time
_LAST_REVIEW = 1 << 16  # ... up to this many entries between looks


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
    unspaced: ahocorasick.Automaton | None  # the same for runs of unspaced scripts, found in the fold
    sites: dict[str, tuple[Part, ...]]
    tags: dict[str, tuple[Part, ...]]
    queries_of: dict[int, tuple[int, ...]]  # term id -> queries it triggers
    complete: frozenset[int]  # term ids whose every occurrence the scan reports


class Matcher:
    """A set of named queries compiled for matching many documents."""

    def __init__(self, queries: Sequence[tuple[str, str | Node]]) -> None:
        """Compile `(name, expression or parsed query)` pairs; raises QuerySyntaxError naming a bad one."""
        self._term_ids: dict[tuple[object, ...], int] = {}
        self._ids: dict[Term, int] = {}  # a shortcut to _term_ids
        self._parts: list[list[Part]] = []  # term id -> the ways it can occur
        self._queries: list[_Query] = []
        self._index: dict[str, int] = {}
        self._folder = Folder()
        for name, expr in queries:
            if name in self._index:
                raise ConfigError(f"query {name!r} is defined twice")
            node = parse_query(expr, context=f"query {name!r}: ") if isinstance(expr, str) else expr
            written: dict[int, str] = {}
            for term in positive_terms(node):
                if isinstance(term, Lang):  # a condition on the entry, not a place in its text
                    continue
                written.setdefault(self._term_id(term), term.source or format_query(term))
            self._index[name] = len(self._queries)
            self._queries.append(_Query(name, node, self._compile(node), written))
        masks = [
            part.mask for parts in self._parts for part in parts if isinstance(part, WordPart | PatternPart)
        ]
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
        joined = SEPARATOR.join(fields)
        if joined.count(SEP) != len(fields) - 1:  # a field holds the separator itself
            joined = SEPARATOR.join(f.replace(SEP, " ") for f in fields)
        folded, bounds = self._folder.prepare(joined)
        pending: set[Part] = set()
        if plan.automaton is not None:
            fired = []
            for _, (key, parts) in plan.automaton.iter(bounds):
                fired.append(key)
                pending.update(parts)
            if fired:
                self._fired.update(fired)
        if plan.unspaced is not None and not joined.isascii():
            for _, (key, parts) in plan.unspaced.iter(folded):
                self._fired[key] += 1
                pending.update(parts)
        for url in (doc.url, doc.link) if plan.sites else ():
            domain = host[0] if (host := url_host(url)) else ""
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
        scan = Scan(doc, len(fields), folded, bounds)
        found: dict[int, list[Occurrence]] = {}  # term id -> occurrences; [] when absent
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
        spans = Spans(doc, found)
        language = "" if scan.language == "und" else scan.language
        return [
            Hit(q.name, spans.of(t for t in q.written.items() if present(t[0])), language) for q in matched
        ]

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
            # `lang:` last: an entry's language is detected only when the rest of an AND holds
            nodes = sorted(node.nodes, key=lambda n: any(isinstance(t, Lang) for t, _ in signed_terms(n)))
            parts = [self._compile(n) for n in nodes]
            if isinstance(node, And):
                return lambda present: all(p(present) for p in parts)
            return lambda present: any(p(present) for p in parts)
        tid = self._term_id(node)
        return lambda present: present(tid)

    def _term_id(self, term: Term) -> int:
        """The id of `term`, registering the ways it can occur the first time it is seen."""
        tid = self._ids.get(term)
        if tid is None:
            key, parts = describe(term)
            tid = self._ids[term] = self._term_ids.setdefault(key, len(self._parts))
            if tid == len(self._parts):
                self._parts.append(parts(tid))
        return tid

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
        by_atom: defaultdict[str, list[Part]] = defaultdict(list)
        for tid in queries_of:
            for part in self._parts[tid]:
                by_atom[min(part.anchors, key=rate)].append(part)
        automaton = _automaton({a: (a, tuple(p)) for a, p in by_atom.items() if a.startswith(" ")})
        unspaced = _automaton(
            {
                a[len(UNSPACED_ATOM) :]: (a, tuple(p))
                for a, p in by_atom.items()
                if a.startswith(UNSPACED_ATOM)
            }
        )
        sites = {a[len(SITE_ATOM) :]: tuple(p) for a, p in by_atom.items() if a.startswith(SITE_ATOM)}
        tags = {a[len(TAG_ATOM) :]: tuple(p) for a, p in by_atom.items() if a.startswith(TAG_ATOM)}
        queries = {tid: tuple(qis) for tid, qis in queries_of.items()}
        return _Plan(automaton, unspaced, sites, tags, queries, frozenset(queries))


def _automaton(keys: Mapping[str, tuple[str, tuple[Part, ...]]]) -> ahocorasick.Automaton | None:
    """An Aho-Corasick automaton of `keys` (each with its value), or None when there are none."""
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in keys.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton


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
    if not positive or isinstance(node, Lang):  # every entry is in some language: no trigger
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
