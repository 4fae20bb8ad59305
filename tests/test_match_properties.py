"""Properties of the query parser and matcher, checked on generated input."""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from mentionscan.errors import QuerySyntaxError
from mentionscan.matching.matcher import (
    Document,
    Field,
    Matcher,
    Phrase,
    Site,
    Tag,
    Term,
    Word,
    format_query,
    parse_query,
)
from mentionscan.matching.query import evaluate, normalize_domain
from mentionscan.text import fold

# Text that leans on what the query language and the fold treat specially.
SPECIAL = ' ()"-*:#OR\t\n.,+_ßﬁ½İΣ\u0301\u0345é’—日'
PIECES = ["acme", "OR", "-", "(", ")", '"', "site:", "title:", "tag:", "author:", "x*", "-y", " "]
query_text = st.text(alphabet=st.sampled_from(SPECIAL) | st.characters(), max_size=40) | st.lists(
    st.sampled_from(PIECES), max_size=12
).map("".join)

ALL_KINDS = [
    ("word", "acme"),
    ("prefix", "acme*"),
    ("punct", "node.js OR c++ OR #x"),
    ("phrase", '"acme widgets"'),
    ("fields", 'title:acme OR author:"jane doe" OR title:ß*'),
    ("site", "site:acme.example OR site:example"),
    ("tag", "tag:rust OR tag:ß"),
    ("logic", "(a b) OR (c -(d OR e)) OR -(-f)"),
    ("unicode", '日本 OR "straße bahn" OR ﬁx OR ½'),
]
MATCHER = Matcher(ALL_KINDS)
field_chars = st.sampled_from(SPECIAL + "acmewidgtsrunodjfbhx ") | st.characters()
field_text = st.text(alphabet=field_chars, max_size=60)
documents = st.builds(
    Document,
    title=field_text,
    text=field_text,
    tags=st.lists(field_text, max_size=3).map(tuple),
    url=field_text | st.sampled_from(["https://www.acme.example:80/", "//[::1]/x", "http://a@b.example"]),
    author=field_text,
)
# a word the parser reads as one plain word: starts with a letter or digit, no spaces or brackets
word = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
punctuated_word = st.tuples(word, st.text(st.sampled_from(".+&'_/@"), min_size=1, max_size=2), word).map(
    "".join
)


@given(query_text)
@example("(" * 400)
@example("-" * 50 + "a")
def test_parse_returns_a_node_or_raises_a_syntax_error(expr: str) -> None:
    try:
        node = parse_query(expr)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= max(len(expr) - 1, 0)
    else:
        assert parse_query(format_query(node)) == node


@given(documents)
def test_match_never_raises_and_spans_point_into_the_fields(doc: Document) -> None:
    for hit in MATCHER.match(doc):
        assert hit.spans
        for span in hit.spans:
            text = doc.tags[span.tag_index] if span.field == "tag" else getattr(doc, span.field)
            assert 0 <= span.start < span.end <= len(text)


@given(word)
def test_a_word_matches_itself_between_spaces(term: str) -> None:
    assume(term != "OR")
    doc = Document(title=f" {term} ")
    [hit] = Matcher([("q", term)]).match(doc)
    assert [(s.field, s.start, s.end) for s in hit.spans] == [("title", 1, 1 + len(term))]


@given(punctuated_word, st.sampled_from(["", "*"]))
def test_a_punctuated_word_or_prefix_matches_itself_between_spaces(term: str, star: str) -> None:
    assert Matcher([("q", term + star)]).match(Document(title=f"x {term} y"))


@given(st.lists(word, min_size=2, max_size=4), st.sampled_from([" ", "-", ": ", " — ", "\n"]))
def test_a_phrase_matches_its_words_with_any_separator(words: list[str], separator: str) -> None:
    phrase = '"' + " ".join(words) + '"'
    assert Matcher([("q", phrase)]).match(Document(title="", text=f"({separator.join(words)})"))


@given(st.text(), st.text())
def test_fold_works_character_by_character(a: str, b: str) -> None:
    # the matcher folds only the non-ASCII runs of a text and relies on this to join the pieces
    assert fold(a + b) == fold(a) + fold(b)


@given(st.text(max_size=80), st.text(max_size=80))
def test_spans_slice_the_original_text_to_the_term(before: str, after: str) -> None:
    doc = Document(title="", text=f"{before} Acme {after}")
    [hit] = Matcher([("q", "acme")]).match(doc)
    for span in hit.spans:
        assert "acme" in fold(doc.text[span.start : span.end])
    assert any(doc.text[s.start : s.end] == "Acme" for s in hit.spans)


@given(
    st.text(alphabet=st.sampled_from("acme widgets node.js c++ #x rust ab-cdef _ "), max_size=200),
    st.lists(st.sampled_from(["’", "—", "…", "«", "ö", "\u0301", "ﬀ", "Ⅻ"]), min_size=1).map("".join),
)
def test_non_ascii_text_after_the_end_changes_nothing(text: str, extra: str) -> None:
    # ASCII texts and texts with a few non-ASCII characters take different paths through the matcher
    plain = MATCHER.match(Document(title="", text=text))
    assert MATCHER.match(Document(title="", text=f"{text} {extra}")) == plain


@given(st.text(max_size=40))
def test_normalize_domain_is_idempotent(value: str) -> None:
    once = normalize_domain(value)
    assert normalize_domain(once) == once


# -- the matcher against a naive reference -----------------------------------------------------------
# The matcher looks up only some terms of some queries, and learns which ones while it runs. A plain
# implementation of the rules, term by term and field by field, must agree with it on every entry.

WORDS = ["acme", "widgets", "node", "js", "rust", "jane", "doe", "the", "blog", "strasse", "café", "a"]
ODD_WORDS = ["node.js", "c++", "at&t", "#acme", "acme's", "ß", "ﬁx", "rust-lang"]
SEPARATORS = [" ", " ", " ", ", ", "-", ".", " #", "++", "&", "  ", "\n", " — ", "’s ", "'s ", "_"]


def random_term(rng: random.Random) -> str:
    word, roll = rng.choice(WORDS), rng.random()
    if roll < 0.35:
        return word
    if roll < 0.45:
        return word[: rng.randint(1, len(word))] + "*"
    if roll < 0.6:
        return '"' + " ".join(rng.choices(WORDS, k=rng.randint(2, 3))) + '"'
    if roll < 0.7:
        return rng.choice(ODD_WORDS)
    if roll < 0.8:
        value = rng.choice([word, f'"{word} {rng.choice(WORDS)}"', word + "*"])
        return rng.choice(["title:", "author:"]) + value
    if roll < 0.9:
        return "site:" + rng.choice(["acme.example", "blog.acme.example", "example", "evil.test"])
    return "tag:" + rng.choice(["rust", "Acme", "#c++", "café"])


def random_query(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.4:
        return random_term(rng)
    parts = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    parts = ["-" + p if rng.random() < 0.25 else p for p in parts]
    return "(" + rng.choice([" ", " OR "]).join(parts) + ")"


def valid_queries(count: int, seed: int) -> list[tuple[str, str]]:
    rng, out = random.Random(seed), []
    while len(out) < count:
        expr = random_query(rng)
        try:
            parse_query(expr)
        except QuerySyntaxError:
            continue
        out.append((f"q{len(out)}", expr))
    return out


REFERENCE_QUERIES = valid_queries(150, seed=1)
LEARNING_MATCHER = Matcher(REFERENCE_QUERIES)  # shared by all examples, so it learns as they run


def reference_present(term: Term, doc: Document) -> bool:
    """Whether `term` occurs in `doc`, straight from the rules of the query language."""
    if isinstance(term, Site):
        host = urlsplit(doc.url if "//" in doc.url else "//" + doc.url).hostname or ""
        host = host.rstrip(".").removeprefix("www.")
        return host == term.domain or host.endswith("." + term.domain)
    if isinstance(term, Tag):
        name = fold(term.name).strip().lstrip("#")
        in_list = any(fold(tag).strip().lstrip("#") == name for tag in doc.tags)
        return in_list or any(literal_in("#" + name, fold(f), False) for f in (doc.title, doc.text))
    fields: list[str] = [doc.title, doc.text, *doc.tags]
    value: Term = term
    if isinstance(term, Field):
        fields, value = ([doc.title] if term.name == "title" else [doc.author]), term.value
    if isinstance(value, Phrase):
        wanted = re.findall(r"[^\W_]+", fold(" ".join(value.words)))
        for text in fields:
            found = re.findall(r"[^\W_]+", fold(text))
            if any(found[i : i + len(wanted)] == wanted for i in range(len(found))):
                return True
        return False
    assert isinstance(value, Word)
    return any(literal_in(fold(value.text), fold(text), value.prefix) for text in fields)


def literal_in(literal: str, text: str, prefix: bool) -> bool:
    start = text.find(literal)
    while start >= 0:
        end = start + len(literal)
        left = not literal[0].isalnum() or start == 0 or not text[start - 1].isalnum()
        right = prefix or not literal[-1].isalnum() or end == len(text) or not text[end].isalnum()
        if left and right:
            return True
        start = text.find(literal, start + 1)
    return False


phrase_text = st.lists(
    st.sampled_from(WORDS + ODD_WORDS + ["Acme", "ACME", "Straße", "CAFE", "x"]), max_size=12
)
entry_text = st.tuples(phrase_text, st.lists(st.sampled_from(SEPARATORS), min_size=12, max_size=12)).map(
    lambda pair: "".join(word + sep for word, sep in zip(*pair, strict=False))
)
urls = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["https://", "http://", "//", ""]),
        st.sampled_from(["", "user@"]),
        st.sampled_from(["", "www.", "WWW."]),
        st.sampled_from(["acme.example", "blog.acme.example", "evilacme.example", "evil.test", "example"]),
        st.sampled_from(["", ":8080", "."]),
        st.sampled_from(["", "/", "/x?u=acme.example"]),
    ),
)
entries = st.builds(
    Document,
    title=entry_text,
    text=entry_text,
    tags=st.lists(st.sampled_from(["rust", "#Rust", "acme", "C++", "Café", "node js"]), max_size=3).map(
        tuple
    ),
    url=urls,
    author=st.sampled_from(["", "Jane Doe", "jane", "Acme Blog"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(entries, min_size=1, max_size=40))
def test_the_matcher_agrees_with_a_naive_reference(docs: list[Document]) -> None:
    for doc in docs:
        expected = [
            name
            for name, expr in REFERENCE_QUERIES
            if evaluate(parse_query(expr), lambda term, doc=doc: reference_present(term, doc))
        ]
        assert [hit.query for hit in LEARNING_MATCHER.match(doc)] == expected, doc
