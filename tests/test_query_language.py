"""The query language as Google's, GitHub's, Syften's and Awario's users write it (issue 11)."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.errors import QuerySyntaxError
from mentionscan.matching.matcher import Document, Matcher, parse_query
from mentionscan.matching.query import And, Not, Phrase, Word
from tests.conftest import Cli
from tests.followuptools import Post, fetch_posts


def matches(query: str, text: str) -> bool:
    doc = Document(title="", text=text, tags=(), url="", author="")
    return bool(Matcher([("q", query)]).match(doc))


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("acme", "I tried 𝐀𝐜𝐦𝐞 today"),  # mathematical bold
        ("acme", "𝔸𝕔𝕞𝕖 is great"),  # double-struck
        ("acme", "𝘈𝘤𝘮𝘦"),  # sans-serif italic
        ("acme", "ＡＣＭＥ"),  # full width
        ("acme", "我喜欢Acme产品"),  # Chinese around a Latin word
        ("acme", "Acmeを使ってみた"),  # Japanese after it
        ("acme", "Acme를 써봤어요"),  # a Korean particle attached
        ("acme*", "Acmeを使ってみた"),
        ("产品", "我喜欢Acme产品"),
        ("产品", "这个产品很好用"),
        ("使って", "Acmeを使ってみた"),
        ('"产品 质量"', "产品质量很好"),
        ('"acme 产品"', "我喜欢Acme产品"),
        ("node.js", "我用node.js开发"),
        ("acme's", "Acme’s new release"),  # typographic apostrophe
        ("acme's", "Acmeʼs new release"),  # modifier letter apostrophe
        ("acme", "Ac\u00adme"),  # soft hyphen (&#173;)
        ("acme", "Ac\u200bme"),  # zero-width space
        ("acme", "Ac\u200dme and Ac\u2060me"),  # zero-width joiner, word joiner
        ("acme", "Ac\ufeffme"),
        ('"acme widgets"', "Acme Wid\u00adgets"),
        ("acme-widgets", "Acme Widgets"),
        ("acme-widgets", "acme-widgets"),
        ("acme-widgets", "new acme widgets"),
        ("acme-widgets", "ACME—Widgets"),
        ("title:acme-widgets", ""),  # placeholder: checked on the title below
        ("acme AND widgets", "Acme makes widgets"),
        ("acme NOT careers", "Acme ships widgets"),
        ("acme AND NOT careers", "Acme ships widgets"),
        ("acme NOT (careers OR jobs)", "Acme ships widgets"),
        ("acme and widgets", "Acme and widgets"),  # lower case: the word "and"
    ],
)
def test_the_text_holds_the_query(query: str, text: str) -> None:
    if query.startswith("title:"):
        doc = Document(title="Acme Widgets 2.0", text="", tags=(), url="", author="")
        assert Matcher([("q", query)]).match(doc)
        return
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("acme", "acmeville"),
        ("acme", "Acmeville是个小镇"),
        ("产品", "这个商品很好"),
        ("acme AND widgets", "Acme and gadgets"),  # AND is no word: "and" alone does not do
        ("acme AND widgets", "widgets"),
        ("acme NOT careers", "Acme careers page"),
        ("acme -careers", "Acme careers page"),
        ("acme and widgets", "Acme makes widgets"),  # lower case "and" must be there
        ("acme-widgets", "acme gadgets widgets"),
        ("acme-widgets", "acmewidgets"),
    ],
)
def test_the_text_does_not_hold_the_query(query: str, text: str) -> None:
    assert not matches(query, text)


def test_and_and_not_in_capitals_are_operators_and_in_lower_case_words() -> None:
    assert parse_query("acme AND widgets") == parse_query("acme widgets")
    assert parse_query("acme NOT careers") == parse_query("acme -careers")
    assert parse_query("acme NOT (a OR b)") == parse_query("acme -(a OR b)")
    assert parse_query("acme and widgets") == And((Word("acme"), Word("and"), Word("widgets")))
    assert parse_query("a AND b OR c") == parse_query("a (b OR c)")
    assert parse_query("acme-widgets") == Phrase(("acme", "widgets"))
    assert parse_query("-acme-jobs acme") == And((Not(Phrase(("acme", "jobs"))), Word("acme")))


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("AND acme", "AND needs a term on each side", 0),
        ("acme AND", "AND needs a term on each side", 5),
        ("acme AND OR b", "AND needs a term on each side", 5),
        ("acme NOT", "NOT needs a term right after it", 5),
        ("NOT acme", "a query needs a term that is not excluded", 0),
    ],
)
def test_misplaced_operators_are_errors_at_their_place(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert message in str(caught.value)
    assert caught.value.position == position


POSTS = [
    Post("/a", "Acme and widgets", "We compared Acme and widgets from others."),
    Post("/b", "Acme makes widgets", "Acme’s widgets, reviewed."),
    Post("/c", "我喜欢Acme产品", "这个产品很好用"),
]


def test_test_query_reads_and_as_an_operator_and_says_how_it_reads_and(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config, POSTS)
    cfg = ["--config", str(fetched.config)]

    both = cli("test-query", "acme AND widgets", "--format", "json", *cfg)
    assert both.exit_code == 0, both.stderr
    assert sorted(r["title"] for r in json.loads(both.stdout)) == ["Acme and widgets", "Acme makes widgets"]
    assert "note:" not in both.stderr

    word = cli("test-query", "acme and widgets", "--format", "json", *cfg)
    assert word.exit_code == 0, word.stderr
    assert [r["title"] for r in json.loads(word.stdout)] == ["Acme and widgets"]
    assert (
        "note: 'and' is read as a word the text must contain; AND in capitals is the operator" in word.stderr
    )

    cjk = cli("test-query", "产品", "--format", "json", *cfg)
    assert [r["title"] for r in json.loads(cjk.stdout)] == ["我喜欢Acme产品"]
    apostrophe = cli("test-query", "acme's", "--format", "json", *cfg)
    assert [r["title"] for r in json.loads(apostrophe.stdout)] == ["Acme makes widgets"]


def test_explain_says_how_a_configured_query_reads_or(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config, POSTS)
    config = write_config(
        {"acme": "acme or widgets", "support": "tag:acmequestion"},
        [{"name": "blog", "type": "feed", "url": fetched.base + "/feed/"}],
    )

    result = cli("explain", fetched.id("Acme and widgets"), "--config", str(config))

    assert result.exit_code == 0, result.stderr
    assert "query acme: acme or widgets\n  no longer matches" in result.stdout
    assert "  note: 'or' is read as a word the text must contain; OR in capitals is the operator\n" in (
        result.stdout
    )
