"""The query translator: our query language in each site's search syntax, table-driven."""

from __future__ import annotations

import pytest

from mentionscan.matching.matcher import parse_query
from mentionscan.sources.translate import (
    DIALECTS,
    Dialect,
    search_texts,
    tags_of,
    to_search_text,
    words_of,
)

README_QUERY = 'acme OR "acme widgets" -"acme corp careers" -site:acme.example'

# query -> {dialect: search_texts}; a dialect missing from a row is checked in another row.
CASES: list[tuple[str, dict[str, list[str]]]] = [
    ("acme", {name: ["acme"] for name in DIALECTS}),
    (
        '"acme widgets"',
        {"hackernews": ['"acme widgets"'], "github": ['"acme widgets"'], "plain": ["acme widgets"]},
    ),
    # exclusions: "-" or "NOT ", or dropped where the site has none
    (
        'acme -"acme corp"',
        {
            "hackernews": ['acme -"acme corp"'],
            "reddit": ['acme NOT "acme corp"'],
            "google_news": ['acme -"acme corp"'],
            "stackexchange": ['acme -"acme corp"'],
            "github": ['acme NOT "acme corp"'],
            "plain": ["acme"],
        },
    ),
    # OR where the site has it; one search per alternative where it has not
    (
        "acme OR widgets",
        {
            "reddit": ["acme OR widgets"],
            "bing_news": ["acme OR widgets"],
            "github": ["acme OR widgets"],
            "hackernews": ["acme", "widgets"],
            "stackexchange": ["acme", "widgets"],
        },
    ),
    # OR binds tighter than AND (as in web search): the grouping is written out
    (
        "acme cloud OR widgets",
        {"google_news": ["acme (cloud OR widgets)"], "hackernews": ["acme cloud", "acme widgets"]},
    ),
    (
        "(acme cloud) OR widgets",
        {"google_news": ["(acme cloud) OR widgets"], "hackernews": ["acme cloud", "widgets"]},
    ),
    # exclusions apply to every alternative
    (
        'inheritance OR "sort code" -careers',
        {
            "google_news": ['(inheritance OR "sort code") -careers'],
            "github": ['(inheritance OR "sort code") NOT careers'],
            "hackernews": ["inheritance -careers", '"sort code" -careers'],
        },
    ),
    (
        "acme (cloud OR saas)",
        {"github": ["acme (cloud OR saas)"], "hackernews": ["acme cloud", "acme saas"]},
    ),
    # an alternative that asks for a word another asks for alone adds nothing
    (
        README_QUERY,
        {
            "hackernews": ['acme -"acme corp careers"'],
            "reddit": ['acme NOT "acme corp careers"'],
            "google_news": ['acme -"acme corp careers" -site:acme.example'],
            "bing_news": ['acme -"acme corp careers" -site:acme.example'],
            "stackexchange": ['acme -"acme corp careers"'],
            "github": ['acme NOT "acme corp careers"'],
            "plain": ["acme"],
        },
    ),
    # site: only where the link is the publisher's (news); elsewhere it is left out
    (
        "acme -site:acme.example",
        {
            "google_news": ["acme -site:acme.example"],
            "bing_news": ["acme -site:acme.example"],
            "hackernews": ["acme"],
            "reddit": ["acme"],
            "github": ["acme"],
        },
    ),
    ("site:acme.example", {"google_news": ["site:acme.example"], "hackernews": [], "github": []}),
    # title: where the site can say it; else the word anywhere (wider)
    (
        "title:acme",
        {
            "google_news": ["intitle:acme"],
            "reddit": ["title:acme"],
            "hackernews": ["acme"],
            "github": ["acme"],
        },
    ),
    # but an excluded title: the site cannot say is dropped, never widened (that would narrow)
    ("acme -title:beta", {"bing_news": ["acme -intitle:beta"], "hackernews": ["acme"], "github": ["acme"]}),
    # author: is a name, not text: nothing to ask alone, ignored beside other terms
    ("author:jane", {name: [] for name in DIALECTS}),
    ("acme author:jane", {"hackernews": ["acme"], "google_news": ["acme"]}),
    # a prefix is asked as its stem
    ("acme* -beta*", {"hackernews": ["acme -beta"], "reddit": ["acme NOT beta"]}),
    # tags are searched as their words (a tag also matches #name in the text)
    ("tag:acmequestion", {"hackernews": ["acmequestion"], "github": ["acmequestion"]}),
    ('tag:"acme help" OR tag:c++', {"reddit": ['"acme help" OR c++'], "hackernews": ['"acme help"', "c++"]}),
    # -(a OR b) is -a -b, which a site without groups can say
    ("acme -(beta OR gamma)", {"hackernews": ["acme -beta -gamma"], "github": ["acme NOT beta NOT gamma"]}),
    # -(a b) needs groups
    ("acme -(beta gamma)", {"hackernews": ["acme"], "google_news": ["acme -(beta gamma)"]}),
    # an exclusion with no positive term left is not a search
    ("author:jane -spam", {"hackernews": [], "github": []}),
    # a phrase the site cannot quote is its words (wider)...
    ('"acme widgets" -"acme corp"', {"plain": ["acme widgets"]}),
    # operator words written as words are quoted
    ('"OR" acme', {"github": ['"OR" acme'], "reddit": ['"OR" acme']}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_search_texts(query: str, expected: dict[str, list[str]]) -> None:
    node = parse_query(query)
    assert {name: search_texts(node, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("query", "dialect", "text"),
    [
        ("acme OR widgets", "github", "acme OR widgets"),
        ("acme OR widgets", "hackernews", ""),  # alternatives need search_texts there
        ("acme (cloud OR saas)", "hackernews", "acme"),  # a nested OR is left out (wider)
        ("author:jane", "reddit", ""),
        ('acme -"acme corp"', "bing_news", 'acme -"acme corp"'),
    ],
)
def test_to_search_text(query: str, dialect: str, text: str) -> None:
    assert to_search_text(parse_query(query), dialect) == text


def test_a_dialect_of_ones_own() -> None:
    pipes = Dialect("pipes", or_word="|", exclude="!", groups=True)
    assert to_search_text(parse_query("(a OR b) -c"), pipes) == "(a | b) !c"


@pytest.mark.parametrize(
    ("query", "tags", "words"),
    [
        ("tag:acme", ["acme"], []),
        ("tag:acme OR tag:Widgets acme", ["acme", "Widgets"], ["acme"]),
        ('tag:acme -tag:spam "acme widgets" -beta', ["acme"], ["acme widgets"]),
        ("title:acme author:jane site:x.example -(y OR tag:z)", [], ["acme"]),
        ("acme OR acme", [], ["acme"]),
    ],
)
def test_tags_and_words(query: str, tags: list[str], words: list[str]) -> None:
    node = parse_query(query)
    assert (tags_of(node), words_of(node)) == (tags, words)


def test_nested_ors_are_multiplied_out_only_as_far_as_sixteen_searches() -> None:
    # (a0 OR a1 OR a2) (b0 OR b1 OR b2) (c0 ...) (d0 ...) is 81 searches on a site without OR:
    # two of the groups are multiplied out (9 searches), the other two left out (asks for more)
    query = " ".join(f"({' OR '.join(f'{c}{i}' for i in range(3))})" for c in "abcd")
    assert search_texts(parse_query(query), "hackernews") == [
        f"a{i} b{j}" for i in range(3) for j in range(3)
    ]
    # top-level alternatives are always all asked
    many = " OR ".join(f"w{i}" for i in range(20))
    assert search_texts(parse_query(many), "stackexchange") == [f"w{i}" for i in range(20)]
