"""The query language: `fold`, the AST, and `parse_query` (text -> AST).

Grammar (`OR`, `AND` and `NOT` are operators in upper case only; in lower case they are words.
As in web search engines, OR binds tighter than the AND of terms side by side, so
`acme OR "acme widgets" -careers` excludes careers from both):

    query   = and_expr
    and_expr= or_expr (["AND"] or_expr)*
    or_expr = unary ("OR" unary)*
    unary   = ("-" | "NOT") primary | primary  (no space after "-")
    primary = "(" and_expr ")" | term
    term    = word | word* | "phrase" | title:value | author:value | site:domain | tag:name | lang:code

A word of letters and digits joined by hyphens (`acme-widgets`) is the phrase of its parts, as in
Google: it matches "Acme Widgets", "acme-widgets" and "acme widgets".

The AST is made of frozen dataclasses. Terms (`Word`, `Phrase`, `Field`, `Site`, `Tag`, `Lang`) carry
`source`, the term as written, and every node carries `pos`, where it starts in the query; both
are left out of equality, so `parse_query("a  b") == parse_query("a b")`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mentionscan.errors import QuerySyntaxError
from mentionscan.matching.language import language_tag
from mentionscan.text import fold
from mentionscan.urls import normalize_domain

_ALNUM_RUN = re.compile(r"[^\W_]+")  # `re`'s \w is exactly str.isalnum() plus "_"
_MAX_DEPTH = 50  # keeps the recursive parser and evaluator far from Python's recursion limit
_FIELD_NAMES = frozenset({"title", "author", "site", "tag", "lang"})
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def tokens(text: str) -> list[str]:
    """The folded words of `text`, as a phrase is matched: runs of letters and digits."""
    return _ALNUM_RUN.findall(fold(text))


def tag_key(tag: str) -> str:
    """The form tags are compared in: folded, trimmed, without leading '#'."""
    return fold(tag).strip().lstrip("#")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Node:
    """Where a node starts in the query; left out of equality, so `a  b` parses equal to `a b`."""

    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Term(_Node):
    """A term also keeps what was written for it (`site:WWW.Acme.Example`), for messages."""

    source: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Word(_Term):
    """A whole word (`acme`, `node.js`), or with `prefix` a word start (`acme*`). `text` as written."""

    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase(_Term):
    """Words in order with only non-alphanumeric characters between them (`"acme widgets"`)."""

    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Field(_Term):
    """A word or phrase matched in one field only: `name` is "title" or "author"."""

    name: str
    value: Word | Phrase


@dataclass(frozen=True, slots=True)
class Site(_Term):
    """The entry's URL host is `domain` or a subdomain of it (lower case, no `www.`, no port)."""

    domain: str


@dataclass(frozen=True, slots=True)
class Tag(_Term):
    """The entry carries tag `name` (as written, without '#'), or its title/text has `#name`."""

    name: str


@dataclass(frozen=True, slots=True)
class Not(_Node):
    """Matches when `node` does not."""

    node: Node


@dataclass(frozen=True, slots=True)
class And(_Node):
    """Matches when every node does (terms side by side); always two or more nodes."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or(_Node):
    """Matches when any node does; always two or more nodes."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Lang(_Term):
    """The entry is in language `name` (a BCP 47 tag: `en` takes en-GB too), declared or detected."""

    name: str


Term = Word | Phrase | Field | Site | Tag | Lang
Node = Term | Not | And | Or


def evaluate(node: Node, present: Callable[[Term], bool]) -> bool:
    """Whether `node` matches, given which terms are present."""
    if isinstance(node, Not):
        return not evaluate(node.node, present)
    if isinstance(node, And):
        return all(evaluate(n, present) for n in node.nodes)
    if isinstance(node, Or):
        return any(evaluate(n, present) for n in node.nodes)
    return present(node)


def signed_terms(node: Node, positive: bool = True) -> list[tuple[Term, bool]]:
    """Every term in query order, with False for those under an odd number of `-`."""
    if isinstance(node, Not):
        return signed_terms(node.node, not positive)
    if isinstance(node, And | Or):
        return [pair for child in node.nodes for pair in signed_terms(child, positive)]
    return [(node, positive)]


def positive_terms(node: Node) -> list[Term]:
    """The terms that count for a match (not excluded), in query order."""
    return [term for term, positive in signed_terms(node) if positive]


def excluded_terms(node: Node) -> list[Term]:
    """The terms whose presence counts against a match, in query order."""
    return [term for term, positive in signed_terms(node) if not positive]


def format_query(node: Node) -> str:
    """Query text that parses back to `node`."""
    if isinstance(node, Word):
        return node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Field):
        return f"{node.name}:{format_query(node.value)}"
    if isinstance(node, Site | Tag | Lang):
        name, value = (
            ("site", node.domain) if isinstance(node, Site) else (type(node).__name__.lower(), node.name)
        )
        plain = bool(value) and not any(c.isspace() or c in '()"' for c in value)
        return f"{name}:{value}" if plain else f'{name}:"{value}"'
    if isinstance(node, Not):
        return "-" + _grouped(node.node, (And, Or))
    if isinstance(node, And):
        return " ".join(_grouped(n, (And, Or)) for n in node.nodes)
    return " OR ".join(_grouped(n, (Or, And)) for n in node.nodes)


def _grouped(node: Node, kinds: tuple[type, ...]) -> str:
    text = format_query(node)
    return f"({text})" if isinstance(node, kinds) else text


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "-", "OR", "AND", "term" ("NOT" is lexed as "-")
    pos: int
    term: Term | None = None


class _Parser:
    def __init__(self, expr: str, prefix: str) -> None:
        self.expr = expr
        self.prefix = prefix
        self.tokens = list(self._lex())
        self.at = 0
        self.depth = 0

    def fail(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(self.prefix + message, self.expr, pos)

    def _lex(self) -> list[_Token]:
        expr, out, i = self.expr, [], 0
        while i < len(expr):
            c = expr[i]
            if c.isspace():
                i += 1
            elif c in "()":
                out.append(_Token(c, i))
                i += 1
            elif c == "-":
                if i + 1 == len(expr) or expr[i + 1].isspace() or expr[i + 1] in ")-":
                    raise self.fail("'-' needs a term right after it", i)
                out.append(_Token("-", i))
                i += 1
            elif c == '"':
                phrase, i = self._phrase(i, i)
                out.append(_Token("term", phrase.pos, phrase))
            else:
                token, i = self._word(i)
                out.append(token)
        return out

    def _phrase(self, quote: int, start: int) -> tuple[Phrase, int]:
        close = self.expr.find('"', quote + 1)
        if close < 0:
            raise self.fail("unbalanced quote", quote)
        words = tuple(_ALNUM_RUN.findall(self.expr[quote + 1 : close]))
        if not words or not tokens(" ".join(words)):
            raise self.fail("empty phrase", quote)
        return Phrase(words, pos=start, source=self.expr[start : close + 1]), close + 1

    def _word(self, start: int) -> tuple[_Token, int]:
        expr, end = self.expr, start
        while end < len(expr) and not expr[end].isspace() and expr[end] not in '()"':
            end += 1
        raw = expr[start:end]
        if raw in ("OR", "AND"):
            return _Token(raw, start), end
        if raw == "NOT":
            return _Token("-", start), end
        name, colon, value = raw.partition(":")
        if not (colon and name.lower() in _FIELD_NAMES):
            return _Token("term", start, self._plain(raw, start, start, raw)), end
        name = name.lower()
        if not value and end < len(expr) and expr[end] == '"':
            close = expr.find('"', end + 1)
            if close < 0:
                raise self.fail("unbalanced quote", end)
            value = expr[end + 1 : close]
            phrase, end = self._phrase(end, start) if name in ("title", "author") else (None, close + 1)
        else:
            phrase = None
        if not value.strip():
            raise self.fail(f"{name}: needs a value", start)
        source = expr[start:end]
        term: Term
        if name == "site":
            term = Site(normalize_domain(value), pos=start, source=source)
            if not any(ch.isalnum() for ch in term.domain):
                raise self.fail("site: needs a domain", start)
        elif name == "lang":
            term = Lang(language_tag(value), pos=start, source=source)
            if not term.name:
                raise self.fail(f"lang: takes a language code like en, de or pt-BR, not {value!r}", start)
        elif name == "tag":
            term = Tag(value.strip().lstrip("#"), pos=start, source=source)
            if not any(ch.isalnum() for ch in tag_key(term.name)):
                raise self.fail("tag: needs a name with a letter or digit", start)
        else:
            inner = phrase or self._plain(value, start + len(name) + 1, start, source)
            term = Field(name, inner, pos=start, source=source)
        return _Token("term", start, term), end

    def _plain(self, raw: str, pos: int, start: int, source: str) -> Word | Phrase:
        text = raw.rstrip("*")
        if not any(ch.isalnum() for ch in fold(text)):
            raise self.fail("a term needs a letter or digit", pos)
        if text == raw and _HYPHENATED.fullmatch(text):
            return Phrase(tuple(text.split("-")), pos=start, source=source)
        return Word(text, len(text) < len(raw), pos=start, source=source)

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        self.at += 1
        return self.tokens[self.at - 1]

    def parse(self) -> Node:
        if not self.tokens:
            raise self.fail("empty query", 0)
        node = self.and_expr()
        extra = self.peek()
        if extra is not None:  # only a ")" can stop and_expr early
            raise self.fail("unbalanced parenthesis", extra.pos)
        if evaluate(node, lambda term: False):
            raise self.fail("a query needs a term that is not excluded", _unanchored(node))
        if not _anchored(node):  # `lang:` holds for whole languages: it narrows, it cannot find
            raise self.fail("lang: only narrows: a query needs a word, phrase, site: or tag: too", node.pos)
        return node

    def and_expr(self) -> Node:
        nodes: list[Node] = []
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind in ("OR", "AND") and not (token.kind == "AND" and nodes):
                raise self.fail(f"{token.kind} needs a term on each side", token.pos)
            if token.kind == "AND":
                self.take()
                after = self.peek()
                if after is None or after.kind in (")", "OR", "AND"):
                    raise self.fail("AND needs a term on each side", token.pos)
            nodes.append(self.or_expr())
        if not nodes:
            if token is None:  # unreachable: callers check for a token first
                raise self.fail("unexpected end of query", len(self.expr))
            raise self.fail("unbalanced parenthesis", token.pos)
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes), pos=nodes[0].pos)

    def or_expr(self) -> Node:
        nodes = [self.unary()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            after = self.peek()
            if after is None or after.kind == ")":
                raise self.fail("OR needs a term on each side", token.pos)
            if after.kind in ("OR", "AND"):
                raise self.fail("OR needs a term on each side", after.pos)
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes), pos=nodes[0].pos)

    def unary(self) -> Node:
        token = self.take()
        if token.kind == "-":
            after = self.peek()
            if after is None or after.kind not in ("(", "term"):
                written = "NOT" if self.expr.startswith("NOT", token.pos) else "'-'"
                raise self.fail(f"{written} needs a term right after it", token.pos)
            return Not(self.primary(), pos=token.pos)
        self.at -= 1
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "term":
            assert token.term is not None
            return token.term
        # the callers only get here with "(" (and_expr stops at ")", or_expr checks after "OR")
        after = self.peek()
        if after is not None and after.kind == ")":
            raise self.fail("empty group", token.pos)
        if after is None:
            raise self.fail("unbalanced parenthesis", token.pos)
        if self.depth == _MAX_DEPTH:
            raise self.fail("too many nested parentheses", token.pos)
        self.depth += 1
        node = self.and_expr()
        self.depth -= 1
        close = self.peek()
        if close is None or close.kind != ")":
            raise self.fail("unbalanced parenthesis", token.pos)
        self.take()
        return node


def _anchored(node: Node, positive: bool = True) -> bool:
    """Whether every match of `node` holds a term other than `lang:` (which the matcher can look for)."""
    if isinstance(node, Not | And | Or):
        sign = positive != isinstance(node, Not)
        found = (_anchored(n, sign) for n in ((node.node,) if isinstance(node, Not) else node.nodes))
        return any(found) if isinstance(node, And) == sign else all(found)
    return positive and not isinstance(node, Lang)


def _unanchored(node: Node) -> int:
    """Where a query that matches without any of its terms goes wrong: the culprit OR branch."""
    if isinstance(node, Or | And):
        for child in node.nodes:
            # In an AND every child holds; the culprit is an OR among them, not an exclusion.
            if (isinstance(node, Or) or isinstance(child, Or)) and evaluate(child, lambda term: False):
                return _unanchored(child)
    return node.pos


def parse_query(expr: str, *, context: str = "") -> Node:
    """The AST of `expr`; raises QuerySyntaxError (message prefixed by `context`) at the culprit."""
    return _Parser(expr, context).parse()
