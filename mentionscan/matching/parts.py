"""How each term of a query is looked for in an entry: a word, a phrase or punctuated word, a site, a tag.

An entry's fields are joined by SEPARATOR and searched in two forms (see `boundary.py`): the fold
and the boundary form, where a whole word `acme` is the substring " acme ".
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

from mentionscan.matching.language import detect, same_language
from mentionscan.matching.query import Field, Lang, Phrase, Site, Tag, Term, Word, tag_key, tokens
from mentionscan.matching.records import Document
from mentionscan.text import fold

TITLE, TEXT, TAG, AUTHOR, URL, TAG_LIST, LINK, LANGUAGE = range(8)  # LANGUAGE is never a span
FIELD_NAMES = ("title", "text", "tag", "author", "url", "tag", "link")
FIELD_RANK = (0, 1, 2, 3, 4, 2, 5)
PLAIN = 1 << TITLE | 1 << TEXT | 1 << TAG  # where a bare word or phrase is looked for
_NOT_ALNUM = re.compile(r"[\W_]")  # `re`'s \w is exactly str.isalnum() plus "_"
# Fields are joined by SEPARATOR. The boundary form keeps SEP, and holds nothing else but letters,
# digits and spaces, so nothing searched for in it (letters, digits, spaces) can span two fields.
SEP = "\x1f"
SEPARATOR = f" {SEP} "
_URL_HOST = re.compile(r"(?:(?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?(?:[^/?#@]*@)?([^/?#:]*)")
# What can trigger a query: automaton keys (" acme ", " acme"), and sites, tags and runs of the
# scripts below (found in the fold, not the boundary form), named apart
SITE_ATOM, TAG_ATOM, UNSPACED_ATOM = "\x00site ", "\x00tag ", "\x00unspaced "
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, the CJK ideographs,
# kana, Bopomofo and Hangul (with the jamo the fold decomposes its syllables into). A term in them
# matches anywhere in their text, and their characters are word boundaries for every other word:
# `acme` finds 我喜欢Acme产品 and Acmeを使ってみた, `产品` finds 这个产品很好.
UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u2e80-\u2fdf"
    "\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)


@functools.cache
def _unspaced_char() -> re.Pattern[str]:
    return re.compile(f"[{UNSPACED}]")  # 15 ms to compile: only for queries that are not ASCII


def unspaced(text: str) -> bool:
    """Whether `text` holds a letter of a script written without spaces (none is ASCII)."""
    return not text.isascii() and _unspaced_char().search(text) is not None


_SPACED_ALNUM = f"[^\\W_{UNSPACED}]"  # a letter or digit of a script that separates its words
_GAP = r"(?:[^\w\x1f]|_)"  # what may stand between the words of a phrase (never a field separator)

# (field, tag index, start, end); start/end index the field's fold, or the field itself (TAG_LIST, URL)
Occurrence = tuple[int, int, int, int]


class Scan:
    """One entry made ready for searching: fields joined, folded, and in boundary form."""

    def __init__(self, doc: Document, count: int, folded: str, bounds: str) -> None:
        self.doc, self.count, self.folded, self.bounds = doc, count, folded, bounds
        self.starts: list[int] = []  # where each field starts in `folded`, once needed
        self.language = ""  # the entry's language, once a `lang:` term asked for it

    def language_of(self) -> str:
        """The language the entry declares, else the one detected in its title and text (once)."""
        if not self.language:
            doc = self.doc
            self.language = doc.language or detect(f"{doc.title}\n{doc.text}") or "und"
        return self.language

    def add(self, out: list[Occurrence], mask: int, start: int, end: int) -> None:
        """Append the occurrence at folded[start:end] if it lies in a field `mask` allows."""
        if not self.starts:
            self.starts.append(0)
            for _ in range(self.count - 1):
                self.starts.append(self.folded.index(SEP, self.starts[-1]) + 2)
        n = bisect_right(self.starts, start) - 1
        tags = len(self.doc.tags)
        field, tag_index = (TITLE, -1) if n == 0 else (TEXT, -1) if n == 1 else (TAG, n - 2)
        if n == tags + 2:
            field, tag_index = AUTHOR, -1
        if mask & 1 << field:
            out.append((field, tag_index, start - self.starts[n], end - self.starts[n]))


class WordPart:
    """A single run of letters and digits, whole or (`prefix`) as the start of a word."""

    def __init__(self, tid: int, token: str, prefix: bool, mask: int) -> None:
        self.tid, self.mask, self.prefix, self.size = tid, mask, prefix, len(token)
        self.key = f" {token}" if prefix else f" {token} "
        self.anchors = (self.key,)

    def find(self, scan: Scan) -> list[Occurrence]:
        out: list[Occurrence] = []
        bounds, key = scan.bounds, self.key
        at = bounds.find(key)
        while at >= 0:  # the fold is the boundary form without its first space: `at` is the word's start
            end = bounds.find(" ", at + 1 + self.size) - 1 if self.prefix else at + self.size
            scan.add(out, self.mask, at, end)
            at = bounds.find(key, at + 1)
        return out


class PatternPart:
    """A phrase (matched in the boundary form) or a word with punctuation in it (in the fold)."""

    def __init__(self, tid: int, pattern: str, in_fold: bool, mask: int, anchors: Sequence[str]) -> None:
        self.tid, self.mask, self.in_fold, self.anchors = tid, mask, in_fold, tuple(anchors)
        self.pattern = re.compile(pattern)

    def find(self, scan: Scan) -> list[Occurrence]:
        out: list[Occurrence] = []
        shift = 0 if self.in_fold else 1
        for m in self.pattern.finditer(scan.folded if self.in_fold else scan.bounds):
            scan.add(out, self.mask, m.start(1) - shift, m.end(1) - shift)
        return out


class SitePart:
    """The entry's URL host, or the host of the page a discussion links to, is `domain` or below it."""

    def __init__(self, tid: int, domain: str) -> None:
        self.tid, self.domain, self.anchors = tid, domain, (SITE_ATOM + domain,)

    def find(self, scan: Scan) -> list[Occurrence]:
        for url in (scan.doc.url, scan.doc.link):
            found = url_host(url)
            if found and (found[0] == self.domain or found[0].endswith("." + self.domain)):
                return [(URL if url is scan.doc.url else LINK, -1, found[1], found[2])]
        return []


class TagPart:
    """The entry carries tag `key` (compared as `tag_key` forms)."""

    def __init__(self, tid: int, key: str) -> None:
        self.tid, self.key, self.anchors = tid, key, (TAG_ATOM + key,)

    def find(self, scan: Scan) -> list[Occurrence]:
        tags = scan.doc.tags
        return [(TAG_LIST, i, 0, len(tag)) for i, tag in enumerate(tags) if tag_key(tag) == self.key]


class LangPart:
    """The entry is in language `code`; never a trigger, so only entries another term found ask."""

    def __init__(self, tid: int, code: str) -> None:
        self.tid, self.code, self.anchors = tid, code, ()

    def find(self, scan: Scan) -> list[Occurrence]:
        return [(LANGUAGE, -1, 0, 0)] if same_language(self.code, scan.language_of()) else []


Part = WordPart | PatternPart | SitePart | TagPart | LangPart


def describe(term: Term) -> tuple[tuple[object, ...], Callable[[int], list[Part]]]:
    """What makes two terms the same (`acme` and `Acme` are), and how to build the parts of one."""
    mask, value = PLAIN, term
    if isinstance(term, Field):
        mask, value = 1 << (TITLE if term.name == "title" else AUTHOR), term.value
    if isinstance(value, Lang):
        code = value.name
        return ("lang", code.lower()), lambda tid: [LangPart(tid, code)]
    if isinstance(value, Site):
        domain = value.domain
        return ("site", domain), lambda tid: [SitePart(tid, domain)]
    if isinstance(value, Tag):
        name = tag_key(value.name)
        hashtag = 1 << TITLE | 1 << TEXT
        return ("tag", name), lambda tid: [TagPart(tid, name), literal_part(tid, "#" + name, False, hashtag)]
    if isinstance(value, Word):
        literal, prefix = fold(value.text), value.prefix
        return ("word", literal, prefix, mask), lambda tid: [literal_part(tid, literal, prefix, mask)]
    assert isinstance(value, Phrase)
    words = tokens(" ".join(value.words))
    if len(words) == 1:  # a phrase of one word is that word: "acme" finds acme
        return ("word", words[0], False, mask), lambda tid: [literal_part(tid, words[0], False, mask)]
    if any(unspaced(w) for w in words):
        return ("phrase", tuple(words), mask), lambda tid: [_unspaced_phrase(tid, words, mask)]
    pattern = " (" + " +".join(map(re.escape, words)) + ")(?= )"
    anchors = [f" {w} " for w in words]
    return ("phrase", tuple(words), mask), lambda tid: [PatternPart(tid, pattern, False, mask, anchors)]


def literal_part(tid: int, literal: str, prefix: bool, mask: int) -> Part:
    in_unspaced = unspaced(literal)
    if literal.isalnum() and not in_unspaced:
        return WordPart(tid, literal, prefix, mask)
    # Punctuation the boundary form lost, or a script it blanks: find the exact literal in the
    # fold, with a boundary where it starts or ends with a letter or digit of a spaced script (a
    # prefix also takes the rest of the word).
    if in_unspaced:
        anchors = [UNSPACED_ATOM + literal]
    else:
        anchors = [f" {w} " for w in _NOT_ALNUM.sub(" ", literal).split()]
        if prefix and literal[-1].isalnum():
            anchors[-1] = anchors[-1].rstrip()
    before, after = _edges(literal[0], literal[-1], prefix)
    return PatternPart(tid, f"{before}({re.escape(literal)}{after})", True, mask, anchors)


def _edges(first: str, last: str, prefix: bool) -> tuple[str, str]:
    """The lookarounds that make a literal a whole word (or, with `prefix`, a word start) in the fold."""
    spaced_first = first.isalnum() and not unspaced(first)
    spaced_last = last.isalnum() and not unspaced(last)
    before = f"(?<!{_SPACED_ALNUM})" if spaced_first else ""
    if not spaced_last:
        return before, ""
    return before, (f"{_SPACED_ALNUM}*" if prefix else f"(?!{_SPACED_ALNUM})")


def _unspaced_phrase(tid: int, words: Sequence[str], mask: int) -> Part:
    """A phrase with words of an unspaced script: next to those, words may touch ("产品 质量": 产品质量)."""
    pattern = re.escape(words[0])
    for left, right in itertools.pairwise(words):
        touching = unspaced(left[-1]) or unspaced(right[0])
        pattern += (_GAP + ("*" if touching else "+")) + re.escape(right)
    before, after = _edges(words[0][0], words[-1][-1], False)
    anchors = [UNSPACED_ATOM + w if unspaced(w) else f" {w} " for w in words]
    return PatternPart(tid, f"{before}({pattern}){after}", True, mask, anchors)


def url_host(url: str) -> tuple[str, int, int] | None:
    """The host of `url` for `site:` (lower case, no trailing dot), and where it is in `url`."""
    if not url:
        return None
    found = _URL_HOST.match(url)
    assert found is not None  # every part of the pattern is optional
    host = found.group(1).lower().rstrip(".")
    # "www." needs no special case: the walk up the labels reaches the domain below it
    return (host, found.start(1), found.end(1)) if host else None
