"""A parsed query in a site's own search syntax, as far as the site supports it.

The site only narrows what we fetch; every result is matched again by `match.py`. So a
translation may ask for *more* than the query (a phrase the site cannot quote becomes its
words, a term it cannot express is left out) but should never ask for less. Exclusions are the
exception that needs care: `-x` is only passed on when the site can say exactly `x` (or
something narrower), otherwise it is dropped, which again only widens the search.

The API, for every source that asks a site's search:

- `to_search_text(node, dialect) -> str`: one search string; "" when nothing can be asked
  (every term the query needs is one the site cannot search, e.g. `author:` or `site:` alone).
- `search_texts(node, dialect) -> list[str]`: the strings to ask, one per alternative for a
  site without `OR` (`a OR b` becomes two searches); [] when nothing can be asked.
- `tags_of(node) -> list[str]`: the names of the query's `tag:` terms that count for a match.
- `words_of(node) -> list[str]`: its words and phrases (as "a b") that count for a match, for
  sites that take plain keywords only.
- `language_of(node) -> str`: the language every match is in (`lang:de` in the top AND), for
  sites that filter by a declared language.
- `tag_cover(node) -> list[str] | None`: tags one of which every match carries, for sites whose
  tag endpoints can then be asked instead of their search; None when a word can match alone.

`dialect` is one of `DIALECTS` by name ("hackernews", "reddit", "google_news", "bing_news",
"stackexchange", "github", "plain") or a `Dialect` of your own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from mentionscan.matching.matcher import And, Field, Lang, Node, Not, Or, Phrase, Site, Tag, Word
from mentionscan.text import fold

MAX_COMBINATIONS = 16  # a site without OR: nested ORs multiplying past this are left out (wider)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one site's search understands."""

    name: str
    phrases: bool = True  # "exact phrase"
    or_word: str | None = "OR"  # None: no OR (each alternative is asked on its own)
    exclude: str | None = "-"  # how an excluded term starts ("-", "NOT "); None: no exclusions
    groups: bool = True  # ( ... ), also after the exclusion prefix
    site: bool = False  # site:example.com restricts to the linked page's domain
    title: str | None = None  # the operator for a title-only term ("intitle:"); None: anywhere


DIALECTS: dict[str, Dialect] = {
    # Algolia with advancedSyntax: "phrases" and -exclusions; no OR, no grouping.
    "hackernews": Dialect("hackernews", or_word=None, groups=False),
    # Reddit's search: AND/OR/NOT and parentheses; site: there is the linked domain, while our
    # records link to the Reddit thread, so it is not passed on.
    "reddit": Dialect("reddit", exclude="NOT ", title="title:"),
    "google_news": Dialect("google_news", site=True, title="intitle:"),
    "bing_news": Dialect("bing_news", site=True, title="intitle:"),
    # The API's `q`: phrases and -exclusions, no OR.
    "stackexchange": Dialect("stackexchange", or_word=None, groups=False),
    # Issue search: OR, NOT and parentheses (at most five operators; more is a site error).
    "github": Dialect("github", exclude="NOT ", groups=True),
    # Bare keywords: no operators at all.
    "plain": Dialect("plain", phrases=False, or_word=None, exclude=None, groups=False),
}


def _dialect(dialect: str | Dialect) -> Dialect:
    return DIALECTS[dialect] if isinstance(dialect, str) else dialect


def to_search_text(node: Node, dialect: str | Dialect) -> str:
    """`node` as one search string in `dialect` ("" when the site cannot be asked for it).

    For a dialect without OR, a nested OR is left out (`acme (x OR y)` asks for `acme`), and a
    query with alternatives at its top cannot be one string (""): use `search_texts` there.
    """
    d = _dialect(dialect)
    widened = _widen(node, d)
    if widened is not None and not d.or_word:
        widened = _drop_or(widened)
    return "" if widened is None else _format(widened, d)


def search_texts(node: Node, dialect: str | Dialect) -> list[str]:
    """The searches to make so that every entry `node` matches is asked for; [] if none can be."""
    d = _dialect(dialect)
    widened = _widen(node, d)
    if widened is None:
        return []
    if d.or_word:
        return [_format(widened, d)]
    alternatives = _alternatives(widened)
    if alternatives is None:
        return []
    texts = [_format(a, d) for a in alternatives]
    return list(dict.fromkeys(t for t in texts if t))


def tags_of(node: Node) -> list[str]:
    """The names of the `tag:` terms that count for a match, in query order, each once."""
    return list(dict.fromkeys(t.name for t in _positive_terms(node) if isinstance(t, Tag)))


def words_of(node: Node) -> list[str]:
    """The words and phrases ("a b") that count for a match, in query order, each once."""
    words: list[str] = []
    for term in _positive_terms(node):
        value = term.value if isinstance(term, Field) and term.name == "title" else term
        if isinstance(value, Word):
            words.append(value.text)
        elif isinstance(value, Phrase):
            words.append(" ".join(value.words))
    return list(dict.fromkeys(words))


def language_of(node: Node) -> str:
    """The language every match of `node` is in (`acme lang:de` -> "de"), or "" when none is."""
    if isinstance(node, Lang):
        return node.name
    if isinstance(node, And):
        return next((found for n in node.nodes if (found := language_of(n))), "")
    return ""


def tag_cover(node: Node) -> list[str] | None:
    """Tags such that every entry `node` matches carries one of them; None when a word can match alone.

    `tag:a` -> [a]; `tag:a OR tag:b` -> [a, b]; `tag:a acme` -> [a]; `acme OR tag:a` -> None.
    Such a query can be asked of a site's tag endpoints only, and still be matched in full here.
    """
    if isinstance(node, Tag):
        return [node.name]
    if isinstance(node, And):
        covers = [c for c in map(tag_cover, node.nodes) if c is not None]
        return min(covers, key=len) if covers else None
    if isinstance(node, Or):
        covers = [cover for child in node.nodes if (cover := tag_cover(child)) is not None]
        if len(covers) < len(node.nodes):
            return None
        return list(dict.fromkeys(name for cover in covers for name in cover))
    return None


def _positive_terms(node: Node, positive: bool = True) -> list[Node]:
    if isinstance(node, Not):
        return _positive_terms(node.node, not positive)
    if isinstance(node, And | Or):
        return [t for child in node.nodes for t in _positive_terms(child, positive)]
    return [node] if positive else []


class _Nothing:
    """A narrowing that matches nothing: an exclusion of it excludes nothing, so it is dropped."""


_NOTHING = _Nothing()


def _tag_as_text(tag: Tag) -> Word | Phrase:
    # A tag also matches `#name` in the text: its words are what a full-text search can find.
    words = tuple(tag.name.split())
    return Word(words[0]) if len(words) == 1 else Phrase(words)


def _is_positive(node: Node) -> bool:
    """Whether `node` asks for something (a search of exclusions only asks for everything)."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_is_positive(n) for n in node.nodes)
    if isinstance(node, Or):
        return all(_is_positive(n) for n in node.nodes)
    return True


def _widen(node: Node, d: Dialect) -> Node | None:
    """Something the site can say that matches at least what `node` does; None: anything."""
    if isinstance(node, Word):
        return Word(node.text)  # no site here takes a prefix: the stem is the nearest ask
    if isinstance(node, Phrase):
        if d.phrases or len(node.words) == 1:
            return node if len(node.words) > 1 else Word(node.words[0])
        return And(tuple(Word(w) for w in node.words))
    if isinstance(node, Field):
        if node.name != "title":
            return None  # author: is a name, not text the site searches
        value = _widen(node.value, d)
        return Field("title", value) if d.title and isinstance(value, Word | Phrase) else value
    if isinstance(node, Site):
        return node if d.site else None
    if isinstance(node, Lang):
        return None  # an entry without a declared language is detected here: the site cannot tell
    if isinstance(node, Tag):
        return _widen(_tag_as_text(node), d)
    if isinstance(node, Not):
        return _widen_not(node.node, d)
    if isinstance(node, And):
        parts = [p for p in (_widen(n, d) for n in node.nodes) if p is not None]
        if not any(_is_positive(p) for p in parts):
            return None
        return _join(And, parts)
    parts = []
    for child in node.nodes:
        part = _widen(child, d)
        if part is None or not _is_positive(part):
            return None  # one alternative the site cannot narrow: ask for anything
        parts.append(part)
    return _join(Or, _absorb(parts))


def _absorb(alternatives: list[Node]) -> list[Node]:
    """Drop an alternative that asks for a word another alternative asks for alone.

    `acme OR "acme widgets"` is `acme`: whatever has the phrase has the word.
    """
    alone = {fold(a.text) for a in alternatives if isinstance(a, Word)}
    return [a for a in alternatives if isinstance(a, Word) or not (_required_words(a) & alone)]


def _required_words(node: Node) -> set[str]:
    """Folded words every match of `node` contains."""
    if isinstance(node, Word):
        return {fold(node.text)}
    if isinstance(node, Phrase):
        return {fold(w) for w in node.words}
    if isinstance(node, Field):
        return _required_words(node.value)
    if isinstance(node, And):
        return set().union(*(_required_words(n) for n in node.nodes))
    return set()


def _widen_not(inner: Node, d: Dialect) -> Node | None:
    if isinstance(inner, Or):  # -(a OR b) is -a -b, which a site without groups can say
        parts = [p for p in (_widen_not(n, d) for n in inner.nodes) if p is not None]
        return _join(And, parts) if parts else None
    if d.exclude is None:
        return None
    narrowed = _narrow(inner, d)
    if isinstance(narrowed, _Nothing):
        return None
    if not d.groups and not isinstance(narrowed, Word | Phrase | Site | Field):
        return None
    return Not(narrowed)


def _narrow(node: Node, d: Dialect) -> Node | _Nothing:
    """Something the site can say that matches at most what `node` does."""
    if isinstance(node, Word):
        return Word(node.text)  # `acme` is within `acme*`
    if isinstance(node, Phrase):
        if len(node.words) == 1:
            return Word(node.words[0])
        return node if d.phrases else _NOTHING
    if isinstance(node, Field):
        if node.name == "title" and d.title:
            value = _narrow(node.value, d)
            return Field("title", value) if isinstance(value, Word | Phrase) else _NOTHING
        return _NOTHING
    if isinstance(node, Site):
        return node if d.site else _NOTHING
    if isinstance(node, Tag | Lang):
        return _NOTHING  # a tag is more than its words in the text; a language is no words
    if isinstance(node, Not):
        widened = _widen(node.node, d)
        return _NOTHING if widened is None or d.exclude is None or not d.groups else Not(widened)
    parts = [_narrow(n, d) for n in node.nodes]
    if isinstance(node, And):
        if any(isinstance(p, _Nothing) for p in parts):
            return _NOTHING
        kept = [p for p in parts if not isinstance(p, _Nothing)]
        return _join(And, kept) if d.groups or len(kept) == 1 else _NOTHING
    kept = [p for p in parts if not isinstance(p, _Nothing)]
    if not kept or (len(kept) > 1 and not (d.or_word and d.groups)):
        return _NOTHING
    return _join(Or, kept)


def _join(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.nodes if isinstance(part, kind) else (part,))
    unique = list(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else kind(tuple(unique))


def _alternatives(node: Node) -> list[Node] | None:
    """`node` as alternatives without OR inside (disjunctive normal form); None: no search.

    Within an AND, the ORs with the fewest alternatives are multiplied out while the
    combinations stay within MAX_COMBINATIONS; the others are left out, which asks for more.
    """
    if isinstance(node, Or):
        alternatives: list[Node] = []
        for child in node.nodes:
            found = _alternatives(child)
            if found is None:
                return None
            alternatives += found
        return alternatives
    if not isinstance(node, And):
        return [node]
    choices: list[list[Node]] = [[n] for n in node.nodes if not isinstance(n, Or)]
    count = 1
    for options in sorted((_alternatives(n) for n in node.nodes if isinstance(n, Or)), key=_size):
        if options is not None and count * len(options) <= MAX_COMBINATIONS:
            choices.append(options)
            count *= len(options)
    # Exclusions last, so each search reads as the query does: `acme -careers`.
    combos = [
        _join(And, sorted(combo, key=lambda n: isinstance(n, Not))) for combo in itertools.product(*choices)
    ]
    return combos if combos and all(_is_positive(c) for c in combos) else None


def _size(options: list[Node] | None) -> int:
    return len(options) if options is not None else MAX_COMBINATIONS + 1


def _drop_or(node: Node) -> Node | None:
    if isinstance(node, Or):
        return None
    if isinstance(node, And):
        parts = [p for p in (_drop_or(n) for n in node.nodes) if p is not None]
        return _join(And, parts) if any(_is_positive(p) for p in parts) else None
    return node


def _format(node: Node, d: Dialect) -> str:
    if isinstance(node, Word):
        text = node.text
        return f'"{text}"' if text in _OPERATORS and d.phrases else text
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"' if d.phrases else " ".join(node.words)
    if isinstance(node, Field):
        return f"{d.title or ''}{_format(node.value, d)}"
    if isinstance(node, Site):
        return f"site:{node.domain}"
    if isinstance(node, Tag):
        return _format(_tag_as_text(node), d)
    if isinstance(node, Not):
        return f"{d.exclude or '-'}{_grouped(node.node, d, And | Or)}"
    if isinstance(node, And):
        return " ".join(_grouped(n, d, Or) for n in node.nodes)
    assert isinstance(node, Or)  # `lang:` never gets here: _widen and _narrow leave it out
    return f" {d.or_word or 'OR'} ".join(_grouped(n, d, And | Or) for n in node.nodes)


def _grouped(node: Node, d: Dialect, kinds: Any) -> str:
    text = _format(node, d)
    return f"({text})" if isinstance(node, kinds) and d.groups else text
