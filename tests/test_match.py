"""The query language and the matcher, case by case (properties are in test_match_properties.py)."""

from __future__ import annotations

import pytest

from mentionscan.errors import ConfigError, QuerySyntaxError
from mentionscan.matching.matcher import (
    And,
    Document,
    Field,
    Hit,
    Matcher,
    Not,
    Or,
    Phrase,
    Site,
    Span,
    Tag,
    Word,
    excluded_terms,
    format_query,
    parse_query,
    positive_terms,
)
from mentionscan.text import fold


def matches(query: str, doc: Document) -> bool:
    return bool(Matcher([("q", query)]).match(doc))


def body(text: str) -> Document:
    return Document(title="", text=text)


def spans(query: str, doc: Document) -> list[tuple[str, str, str]]:
    """(field, term, the original text the span covers) for each span of the hit."""
    hit = Matcher([("q", query)]).explain(doc, "q")
    assert hit is not None, f"{query!r} should match {doc!r}"
    return [(s.field, s.term, _field_text(doc, s)[s.start : s.end]) for s in hit.spans]


def _field_text(doc: Document, span: Span) -> str:
    if span.field == "tag":
        return doc.tags[span.tag_index]
    return str(getattr(doc, span.field))


# -- fold ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Acme", "acme"),
        ("ÁCME", "acme"),
        ("Ácme", "acme"),
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁx", "fix"),  # NFKD splits the ligature
        ("café", "cafe"),  # composed é
        ("cafe\u0301", "cafe"),  # e + combining acute
        ("naïve", "naive"),
        ("ＡＣＭＥ", "acme"),  # full-width letters (NFKD)
        ("İstanbul", "istanbul"),
        ("ΣΊΣΥΦΟΣ", "σισυφοσ"),
        ("日本語", "日本語"),
        ("it’s", "it's"),  # the typographic apostrophe is the ASCII one
        ("a–b", "a–b"),  # other punctuation is kept, only letters change
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


# -- words -----------------------------------------------------------------------------------------

WORDS = [
    ("acme", "Acme's new thing", True),
    ("acme", "ACME, the company", True),
    ("acme", "by Ácme", True),
    ("acme", "(acme)", True),
    ("acme", "acme", True),
    ("acme", "snake_acme_case", True),  # "_" is not a letter or digit
    ("acme", "acme2 and 2acme", False),
    ("acme", "acmeville", False),
    ("acme", "bacme", False),
    ("acme", "ac me", False),
    ("Acme", "acme", True),  # the query is folded too
    ("ÁCME", "acme", True),
    ("cafe", "Café au lait", True),
    ("café", "CAFE", True),
    ("cafe", "cafe\u0301 au lait", True),
    ("strasse", "Die Straße", True),
    ("straße", "STRASSE", True),
    ("fix", "a ﬁx for it", True),
    ("ﬁx", "a fix for it", True),
    ("naïve", "naive", True),
    ("日本", "日本語", True),  # CJK is written without spaces: a term matches inside a run of it
    ("日本語", "「日本語」", True),
    ("acme*", "Acmeville", True),
    ("acme*", "acme", True),
    ("acme*", "ÁCMEs", True),
    ("acme*", "bacmeville", False),
    ("widg*", "Widgets!", True),
    ("node.js", "I use Node.js daily", True),
    ("node.js", "(node.js)", True),
    ("node.js", "nodejs", False),
    ("node.js", "node js", False),
    ("node.js", "xnode.js", False),
    ("node.js", "node.jsx", False),
    ("c++", "C++ is hard", True),
    ("c++", "c++11", True),  # no boundary is checked after a non-alphanumeric end
    ("c++", "abc++", False),
    ("c++", "c+", False),
    ("at&t", "AT&T wireless", True),
    ("at&t", "at t", False),
    ("#acme", "love #Acme", True),
    ("#acme", "love acme", False),
    ("or", "this or that", True),  # lower-case "or" is a plain word
    ("foo:bar", "see foo:bar here", True),  # unknown prefixes are part of the word
    ("foo:bar", "foo bar", False),
    ("http://acme.example", "at http://acme.example today", True),
    ("2024", "in 2024.", True),
    ("2024", "in 20245", False),
]


@pytest.mark.parametrize(("query", "text", "expected"), WORDS)
def test_word(query: str, text: str, expected: bool) -> None:
    assert matches(query, body(text)) is expected
    assert matches(query, Document(title=text)) is expected


# -- phrases ---------------------------------------------------------------------------------------

PHRASES = [
    ('"acme widgets"', "Acme-Widgets", True),
    ('"acme widgets"', "acme  widgets", True),
    ('"acme widgets"', "ACME: widgets", True),
    ('"acme widgets"', "acme\nwidgets", True),
    ('"acme widgets"', "Ácme — widgets", True),
    ('"acme widgets"', "so acme acme widgets", True),
    ('"acme widgets"', "acme_widgets", True),
    ('"acme widgets"', "acme big widgets", False),
    ('"acme widgets"', "widgets acme", False),
    ('"acme widgets"', "acmewidgets", False),
    ('"acme widgets"', "acme widgetsx", False),
    ('"acme widgets"', "bacme widgets", False),
    ('"acme  Widgets"', "acme widgets", True),  # the query's spacing and case don't matter
    ('"node.js rocks"', "node js rocks", True),  # inside a phrase, words are runs of letters/digits
    ('"the acme way"', "The ACME way.", True),
    ('"acme"', "Acme's", True),  # one word: same as the word
    ('"acme"', "acmes", False),
    ('"straße bahn"', "STRASSE-BAHN", True),
]


@pytest.mark.parametrize(("query", "text", "expected"), PHRASES)
def test_phrase(query: str, text: str, expected: bool) -> None:
    assert matches(query, body(text)) is expected


def test_a_phrase_never_spans_two_fields() -> None:
    assert not matches('"acme widgets"', Document(title="acme", text="widgets"))
    assert not matches('"acme widgets"', Document(title="", tags=("acme", "widgets")))
    assert matches('"acme widgets"', Document(title="", tags=("Acme Widgets",)))


# -- where plain terms look ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (Document(title="Acme"), True),
        (Document(title="", text="acme"), True),
        (Document(title="", tags=("ACME",)), True),
        (Document(title="", tags=("x", "acme tools")), True),
        (Document(title="", author="Acme"), False),  # only author: looks at the author
        (Document(title="", url="https://acme.example/acme"), False),  # only site: looks at the URL
    ],
)
def test_plain_terms_look_in_title_text_and_tags(doc: Document, expected: bool) -> None:
    assert matches("acme", doc) is expected


# -- AND, OR, NOT, precedence ----------------------------------------------------------------------

LOGIC = [
    ("acme widgets", Document(title="acme", text="widgets"), True),
    ("acme widgets", body("acme"), False),
    ("acme OR widgets", body("widgets"), True),
    ("acme OR widgets", body("gadgets"), False),
    # OR binds tighter than the AND of terms side by side, as in web search engines.
    ("a b OR c", body("c"), False),
    ("a b OR c", body("a"), False),
    ("a b OR c", body("a b"), True),
    ("a b OR c", body("a c"), True),
    ("a b OR c", body("b c"), False),
    ("(a b) OR c", body("c"), True),
    ("a (b OR c)", body("c"), False),
    ("a (b OR c)", body("a c"), True),
    ("a OR b c", body("a"), False),
    ("a OR b c", body("a c"), True),
    ("a OR b c", body("b c"), True),
    ("a OR b -c", body("a"), True),
    ("a OR b -c", body("b c"), False),
    ('acme OR "acme widgets" -"acme corp careers"', body("Acme Corp careers: hiring"), False),
    ("cats or dogs", body("cats and dogs"), False),  # "or" is a word that must be there
    ("cats or dogs", body("cats or dogs"), True),
    ("acme -spam", body("acme"), True),
    ("acme -spam", body("acme SPAM"), False),
    ("acme -spam", Document(title="acme", tags=("spam",)), False),
    ('acme -"big sale"', body("acme big sale"), False),
    ('acme -"big sale"', body("acme big, bad sale"), True),
    ("acme -(sale OR deal)", body("acme deal"), False),
    ("acme -(sale deal)", body("acme deal"), True),
    ("acme -(sale deal)", body("acme sale deal"), False),
    ("acme -site:spam.example", Document(title="acme", url="https://spam.example/x"), False),
    ("acme -site:spam.example", Document(title="acme", url="https://ham.example/x"), True),
    ("acme -title:ad", Document(title="Ad: acme"), False),
    ("acme -title:ad", Document(title="acme", text="ad"), True),
    ("acme -tag:ad", Document(title="acme", tags=("#Ad",)), False),
    ("acme -tag:ad", Document(title="acme", text="#ad"), False),
    ("acme -tag:ad", Document(title="acme", text="ad"), True),
    ("acme -author:bot", Document(title="acme", author="Acme Bot"), False),
    ("acme -author:bot", Document(title="acme", author="Bob"), True),
    ("acme OR (widgets -spam)", body("widgets spam"), False),
    ("acme OR (widgets -spam)", body("acme widgets spam"), True),
    ("acme -(-widgets)", body("acme"), False),  # excluding an exclusion requires the term
    ("acme -(-widgets)", body("acme widgets"), True),
]


@pytest.mark.parametrize(("query", "doc", "expected"), LOGIC)
def test_logic(query: str, doc: Document, expected: bool) -> None:
    assert matches(query, doc) is expected


def test_or_binds_tighter_than_and() -> None:
    assert parse_query("a b OR c") == parse_query("a (b OR c)")
    assert parse_query("a b OR c") == And((Word("a"), Or((Word("b"), Word("c")))))
    assert parse_query("a OR b c") == And((Or((Word("a"), Word("b"))), Word("c")))
    assert parse_query("(a b) OR c") == Or((And((Word("a"), Word("b"))), Word("c")))


# -- site: -----------------------------------------------------------------------------------------

SITES = [
    ("https://acme.example/blog", True),
    ("http://acme.example", True),
    ("https://www.acme.example/", True),
    ("https://blog.acme.example/post", True),
    ("https://a.b.acme.example:8443/post", True),
    ("https://ACME.example/", True),
    ("https://user@acme.example/", True),
    ("https://acme.example./", True),
    ("acme.example/path", True),
    ("//acme.example/path", True),
    ("https://evilacme.example/", False),
    ("https://acme.example.evil.test/", False),
    ("https://notacme.example/", False),
    ("https://evil.test/acme.example", False),
    ("https://evil.test/?u=https://acme.example", False),
    ("https://acme.examples/", False),
    ("", False),
]


@pytest.mark.parametrize(("url", "expected"), SITES)
def test_site(url: str, expected: bool) -> None:
    assert matches("site:acme.example", Document(title="x", url=url)) is expected


@pytest.mark.parametrize(
    ("query", "url", "expected"),
    [
        ("site:www.acme.example", "https://acme.example/", True),
        ("site:Acme.Example", "https://acme.example/", True),
        ("site:https://acme.example/path", "https://blog.acme.example/", True),
        ("site:acme.example:8080", "https://acme.example/", True),
        ('site:"acme.example"', "https://acme.example/", True),
        ("site:blog.acme.example", "https://acme.example/", False),
        ("site:blog.acme.example", "https://www.blog.acme.example/", True),
        ("site:example", "https://acme.example/", True),  # a top-level domain is a domain too
        ("acme site:acme.example", "https://acme.example/", False),
    ],
)
def test_site_forms(query: str, url: str, expected: bool) -> None:
    assert matches(query, Document(title="x", url=url)) is expected


# -- title:, author:, tag: -------------------------------------------------------------------------

FIELDS = [
    ("title:acme", Document(title="ACME rocks"), True),
    ("title:acme", Document(title="x", text="acme"), False),
    ("title:acme", Document(title="x", tags=("acme",)), False),
    ("title:acme*", Document(title="Acmeville"), True),
    ('title:"acme widgets"', Document(title="Acme-Widgets!"), True),
    ('title:"acme widgets"', Document(title="acme", text="acme widgets"), False),
    ("Title:acme", Document(title="acme"), True),  # field names ignore case
    ("author:jane", Document(title="x", author="Jane Doe"), True),
    ("author:jane", Document(title="Jane", author="Bob"), False),
    ('author:"Jane Doe"', Document(title="x", author="jane  doe"), True),
    ('author:"Jane Doe"', Document(title="x", author="Doe, Jane"), False),
    ("author:jose", Document(title="x", author="José"), True),
    ("tag:rust", Document(title="x", tags=("Rust",)), True),
    ("tag:rust", Document(title="x", tags=("#rust",)), True),
    ("tag:#rust", Document(title="x", tags=("rust",)), True),
    ("tag:rust", Document(title="x", tags=("rustacean",)), False),
    ("tag:rust", Document(title="x", tags=("rust lang",)), False),
    ("tag:rust", Document(title="x", text="I love #Rust."), True),
    ("tag:rust", Document(title="Love #rust"), True),
    ("tag:rust", Document(title="x", text="I love rust"), False),
    ("tag:rust", Document(title="x", text="#rustacean"), False),
    ("tag:rust", Document(title="x", text="#rust_lang"), True),  # "_" ends a hashtag like any non-alnum
    ("tag:rust", Document(title="x", author="#rust"), False),
    ("tag:café", Document(title="x", tags=("CAFE",)), True),
    ("tag:café", Document(title="x", text="#Cafe"), True),
    ('tag:"machine learning"', Document(title="x", tags=("Machine Learning",)), True),
]


@pytest.mark.parametrize(("query", "doc", "expected"), FIELDS)
def test_fields(query: str, doc: Document, expected: bool) -> None:
    assert matches(query, doc) is expected


# -- spans -----------------------------------------------------------------------------------------


def test_span_offsets_are_into_the_original_text() -> None:
    doc = body("Ça coûte — « Straße » ﬁx café\u0301 ß Ácme’s widgets")
    assert spans("acme", doc) == [("text", "acme", "Ácme")]
    assert spans("cafe", doc) == [("text", "cafe", "café\u0301")]
    assert spans("fix", doc) == [("text", "fix", "ﬁx")]
    assert spans("strasse", doc) == [("text", "strasse", "Straße")]
    assert spans('"s widgets"', doc) == [("text", '"s widgets"', "s widgets")]


def test_span_of_phrase_prefix_and_punctuated_word() -> None:
    doc = body("Über ACME-Widgets and Acmeville, with Node.js")
    assert spans('"acme widgets"', doc) == [("text", '"acme widgets"', "ACME-Widgets")]
    assert spans("acme*", doc) == [("text", "acme*", "ACME"), ("text", "acme*", "Acmeville")]
    assert spans("node.js", doc) == [("text", "node.js", "Node.js")]


def test_span_inside_a_character_that_folds_to_several() -> None:
    # "½" folds to "1⁄2": a match that starts or ends inside it takes the whole character
    assert spans("x1", body("a x½ b")) == [("text", "x1", "x½")]
    assert spans("2", body("a ½ b")) == [("text", "2", "½")]


def test_spans_of_tags_hashtags_sites_and_fields() -> None:
    doc = Document(
        title="#Rust news",
        text="about #rust",
        tags=("web", "Rust"),
        url="https://www.Blog.Acme.example:8080/x",
        author="Jane Doe",
    )
    assert spans("tag:rust", doc) == [
        ("title", "tag:rust", "#Rust"),
        ("text", "tag:rust", "#rust"),
        ("tag", "tag:rust", "Rust"),
    ]
    assert spans("site:acme.example", doc) == [("url", "site:acme.example", "www.Blog.Acme.example")]
    assert spans('author:"jane doe"', doc) == [("author", 'author:"jane doe"', "Jane Doe")]
    assert spans("title:news", doc) == [("title", "title:news", "news")]
    hit = Matcher([("q", "rust")]).explain(doc, "q")
    assert hit is not None
    assert [(s.field, s.tag_index) for s in hit.spans] == [("title", -1), ("text", -1), ("tag", 1)]


def test_spans_are_every_positive_occurrence_by_field_then_position() -> None:
    doc = Document(title="x ACME", text="widgets and acme, acme", tags=("acme",))
    hit = Matcher([("q", "Widgets OR Acme -spam")]).explain(doc, "q")
    assert hit == Hit(
        "q",
        (
            Span("title", 2, 6, "Acme"),
            Span("text", 0, 7, "Widgets"),
            Span("text", 12, 16, "Acme"),
            Span("text", 18, 22, "Acme"),
            Span("tag", 0, 4, "Acme", 0),
        ),
    )


def test_spans_leave_out_terms_not_found_and_excluded_terms() -> None:
    doc = body("acme -- no gadgets")
    assert spans("acme OR widgets", doc) == [("text", "acme", "acme")]
    assert spans("acme -(widgets gadgets)", doc) == [("text", "acme", "acme")]


# -- the Matcher -----------------------------------------------------------------------------------


def test_hits_come_in_query_order_and_names_restrict() -> None:
    matcher = Matcher([("b", "widgets"), ("a", "acme"), ("c", "gadgets")])
    doc = body("acme widgets")
    assert matcher.names == ("b", "a", "c")
    assert [h.query for h in matcher.match(doc)] == ["b", "a"]
    assert [h.query for h in matcher.match(doc, names=["a"])] == ["a"]
    assert [h.query for h in matcher.match(doc, names={"a", "c", "unknown"})] == ["a"]
    assert matcher.match(doc, names=[]) == []
    assert matcher.match(body("nothing here")) == []


def test_explain() -> None:
    matcher = Matcher([("a", "acme"), ("b", "widgets")])
    assert matcher.explain(body("acme"), "a") == Hit("a", (Span("text", 0, 4, "acme"),))
    assert matcher.explain(body("acme"), "b") is None
    with pytest.raises(ConfigError, match="no query named 'zzz'"):
        matcher.explain(body("acme"), "zzz")


def test_same_term_in_many_queries() -> None:
    queries = [("one", "Acme"), ("two", "acme widgets"), ("three", "title:acme"), ("four", "-acme x")]
    matcher = Matcher(queries)
    doc = Document(title="acme", text="widgets")
    hits = {h.query: h.spans for h in matcher.match(doc)}
    assert hits == {
        "one": (Span("title", 0, 4, "Acme"),),
        "two": (Span("title", 0, 4, "acme"), Span("text", 0, 7, "widgets")),
        "three": (Span("title", 0, 4, "title:acme"),),
    }


def test_empty_matcher_and_empty_document() -> None:
    assert Matcher([]).match(body("acme")) == []
    assert Matcher([]).names == ()
    assert Matcher([("a", "acme")]).match(Document(title="")) == []
    assert Matcher([("s", "site:acme.example")]).match(Document(title="acme")) == []


def test_matcher_names_the_bad_query() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        Matcher([("good", "acme"), ("bad one", 'acme "widgets')])
    assert str(caught.value).startswith("query 'bad one': unbalanced quote")
    assert caught.value.position == 5
    assert caught.value.query == 'acme "widgets'


def test_matcher_refuses_duplicate_names() -> None:
    with pytest.raises(ConfigError, match="'a' is defined twice"):
        Matcher([("a", "acme"), ("a", "widgets")])


# -- the parser ------------------------------------------------------------------------------------

PARSED = [
    ("acme", Word("acme")),
    ("Acme*", Word("Acme", prefix=True)),
    ("acme**", Word("acme", prefix=True)),
    ("node.js", Word("node.js")),
    ("foo:bar", Word("foo:bar")),
    ("or", Word("or")),
    ('"Acme  widgets!"', Phrase(("Acme", "widgets"))),
    ('"node.js"', Phrase(("node", "js"))),
    ("title:acme", Field("title", Word("acme"))),
    ('title:"acme widgets"', Field("title", Phrase(("acme", "widgets")))),
    ("AUTHOR:jane*", Field("author", Word("jane", prefix=True))),
    ("title:OR", Field("title", Word("OR"))),
    ("site:WWW.Acme.Example:8080", Site("acme.example")),
    ("site:https://user@acme.example/x", Site("acme.example")),
    ("tag:#Rust", Tag("Rust")),
    ('tag:"machine learning"', Tag("machine learning")),
    ("-acme x", And((Not(Word("acme")), Word("x")))),
    ('x -"a b"', And((Word("x"), Not(Phrase(("a", "b")))))),
    ("x -(a OR b)", And((Word("x"), Not(Or((Word("a"), Word("b"))))))),
    ("x -site:a.example", And((Word("x"), Not(Site("a.example"))))),
    ("a OR b OR c", Or((Word("a"), Word("b"), Word("c")))),
    ("(a)", Word("a")),
    ("a(b)c", And((Word("a"), Word("b"), Word("c")))),
    ('a"b"c', And((Word("a"), Phrase(("b",)), Word("c")))),
    ("e-mail", Phrase(("e", "mail"))),  # a hyphenated word is the phrase of its parts
]


@pytest.mark.parametrize(("query", "node"), PARSED)
def test_parse(query: str, node: object) -> None:
    parsed = parse_query(query)
    assert parsed == node
    assert parse_query(format_query(parsed)) == parsed


def test_terms_keep_what_was_written_and_where() -> None:
    node = parse_query('acme  title:"Big  Sale" -site:x.example')
    assert isinstance(node, And)
    assert [(t.source, t.pos) for t in positive_terms(node)] == [("acme", 0), ('title:"Big  Sale"', 6)]
    assert excluded_terms(node) == [Site("x.example")]
    assert format_query(node) == 'acme title:"Big Sale" -site:x.example'


SYNTAX_ERRORS = [
    ("", "empty query", 0),
    ("   ", "empty query", 0),
    ('"acme', "unbalanced quote", 0),
    ('acme "widgets', "unbalanced quote", 5),
    ('title:"acme', "unbalanced quote", 6),
    ('site:"acme', "unbalanced quote", 5),
    ("(acme", "unbalanced parenthesis", 0),
    ("acme)", "unbalanced parenthesis", 4),
    ("(a (b)", "unbalanced parenthesis", 0),
    ("a) OR (b", "unbalanced parenthesis", 1),
    (")", "unbalanced parenthesis", 0),
    ("()", "empty group", 0),
    ("acme ( )", "empty group", 5),
    ("OR acme", "OR needs a term on each side", 0),
    ("acme OR", "OR needs a term on each side", 5),
    ("acme OR OR widgets", "OR needs a term on each side", 8),
    ("(OR acme)", "OR needs a term on each side", 1),
    ("(acme OR)", "OR needs a term on each side", 6),
    ("OR", "OR needs a term on each side", 0),
    ("-", "'-' needs a term right after it", 0),
    ("acme -", "'-' needs a term right after it", 5),
    ("acme - widgets", "'-' needs a term right after it", 5),
    ("acme --widgets", "'-' needs a term right after it", 5),
    ("acme -)", "'-' needs a term right after it", 5),
    ("acme -OR b", "'-' needs a term right after it", 5),
    ("site:", "site: needs a value", 0),
    ("acme site:", "site: needs a value", 5),
    ('acme site:""', "site: needs a value", 5),
    ("acme site:/x", "site: needs a domain", 5),
    ("title:", "title: needs a value", 0),
    ("author: jane", "author: needs a value", 0),
    ("acme tag:#", "tag: needs a name with a letter or digit", 5),
    ('acme title:""', "empty phrase", 11),
    ('acme ""', "empty phrase", 5),
    ('acme "..."', "empty phrase", 5),
    ("acme !!!", "a term needs a letter or digit", 5),
    ("acme *", "a term needs a letter or digit", 5),
    ("acme title:*", "a term needs a letter or digit", 11),
    ("-foo", "a query needs a term that is not excluded", 0),
    ("-foo -bar", "a query needs a term that is not excluded", 0),
    ("acme OR -foo", "a query needs a term that is not excluded", 8),
    ("acme OR (-foo)", "a query needs a term that is not excluded", 9),
    ("acme OR (x OR -foo -bar)", "a query needs a term that is not excluded", 14),
    ("-(acme widgets)", "a query needs a term that is not excluded", 0),
    ("-site:acme.example", "a query needs a term that is not excluded", 0),
    ("(" * 60 + "a" + ")" * 60, "too many nested parentheses", 50),
]


@pytest.mark.parametrize(("query", "message", "position"), SYNTAX_ERRORS)
def test_syntax_errors(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert caught.value.query == query
    suffix = f" at position {position + 1} in {query!r}" if query else ""
    assert str(caught.value) == message + suffix


@pytest.mark.parametrize(
    "query",
    ["(acme widgets) OR -x (y)", "acme (x OR -y)", "-x acme", "acme -(-x)", "-(-x)"],
)
def test_exclusions_that_still_need_a_term_are_fine(query: str) -> None:
    parse_query(query)


# -- learning which words to look for ----------------------------------------------------------------


def test_a_trigger_found_too_often_is_replaced_and_results_stay_the_same() -> None:
    matcher = Matcher([("q", "acme widgets"), ("r", "widgets OR gadgets")])
    only_widgets = Document(title="widgets", text="so many widgets")
    both = Document(title="", text="acme widgets")

    def triggers() -> set[str]:  # what the automaton looks for (an internal, but the point here)
        return set(matcher._plan.automaton.keys())

    # before anything is known, the longer word is guessed to be the rarer one
    assert triggers() == {" widgets ", " gadgets "}
    for _ in range(100):
        assert [h.query for h in matcher.match(only_widgets)] == ["r"]
    # "widgets" is everywhere: "q" now waits for "acme"; "r" has no other choice
    assert triggers() == {" acme ", " widgets ", " gadgets "}
    assert [h.query for h in matcher.match(both)] == ["q", "r"]
    spans = (Span("text", 0, 4, "acme"), Span("text", 5, 12, "widgets"))
    assert matcher.explain(both, "q") == Hit("q", spans)
