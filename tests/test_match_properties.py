"""Properties of the query parser and matcher, checked on generated input."""

from __future__ import annotations

from hypothesis import assume, example, given
from hypothesis import strategies as st

from mentionscan.errors import QuerySyntaxError
from mentionscan.match import Document, Matcher, fold, format_query, parse_query
from mentionscan.query import normalize_domain

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
