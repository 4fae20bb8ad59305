"""Arbitrary input to the feed parser and the query language: mentionscan's own errors, or a result.

Anything else (a KeyError, an OverflowError, a RecursionError) would become an "internal
error" for one source or a crash of the config check, so any other exception fails here.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mentionscan.errors import MentionscanError
from mentionscan.matching.matcher import Document, Matcher, parse_query
from mentionscan.models import ParsedFeed
from mentionscan.sources.feedparse import parse_feed
from mentionscan.urls import is_http_url

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
URL = "http://127.0.0.1:9/feed"


def parse(body: bytes, content_type: str = "") -> ParsedFeed | None:
    """parse_feed's result, or None when it refused with its own error; any other error escapes."""
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = parse_feed(body, headers, url=URL, source="s")
    except MentionscanError:
        return None
    for entry in parsed.entries:
        for text in (entry.title, entry.text, entry.author or "", entry.native_id or "", *entry.tags):
            assert not CONTROL.search(text), text
        for link in (entry.url, entry.author_url or ""):
            assert link == "" or is_http_url(link), link
    return parsed


@SETTINGS
@given(
    body=st.binary(max_size=4000), content_type=st.sampled_from(["", "application/xml", "application/json"])
)
@example(body=b"/etc/hostname", content_type="")
@example(body=b"\xff\xfe<\x00r\x00s\x00s\x00", content_type="")
@example(body=b"{", content_type="application/json")
def test_any_bytes(body: bytes, content_type: str) -> None:
    parse(body, content_type)


# Text that looks like what feeds carry, with the characters that break things mixed in.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("<>&;\"'[]/\\#=\x1b\x9b\u202e\x00\x07 ")),
    ),
    max_size=60,
)
xml_value = st.one_of(
    nasty_text.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
    nasty_text,  # unescaped: often not well-formed, which is the point
    st.sampled_from(["&#27;[2J", "&#x9b;", "&#0;", "&bogus;", "<![CDATA[x]]>", "<b>acme</b>", "]]>"]),
)
rss_fields = st.fixed_dictionaries(
    {},
    optional={
        name: xml_value
        for name in ("title", "link", "guid", "description", "author", "category", "pubDate", "comments")
    },
)


@SETTINGS
@given(
    items=st.lists(rss_fields, max_size=4), feed_title=xml_value, version=st.sampled_from(["2.0", "0.91", ""])
)
def test_rss_with_hostile_fields(items: list[dict[str, str]], feed_title: str, version: str) -> None:
    body = f'<?xml version="1.0"?><rss version="{version}"><channel><title>{feed_title}</title>'
    body += "".join("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in i.items()) + "</item>" for i in items)
    parse((body + "</channel></rss>").encode("utf-8", "surrogatepass"))


@SETTINGS
@given(entries=st.lists(rss_fields, max_size=3))
def test_atom_with_hostile_fields(entries: list[dict[str, str]]) -> None:
    body = '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
    for entry in entries:
        body += "<entry>"
        body += "".join(
            f'<link href="{v}"/>' if k == "link" else f"<{k} type='html'>{v}</{k}>" for k, v in entry.items()
        )
        body += "</entry>"
    parse((body + "</feed>").encode("utf-8", "surrogatepass"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | nasty_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(nasty_text, children, max_size=3),
    max_leaves=8,
)
json_dates = st.one_of(
    json_values,
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-02-30", "Z"]),
)
json_items = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "url": json_values,
        "external_url": json_values,
        "title": json_values,
        "content_text": json_values,
        "content_html": json_values,
        "summary": json_values,
        "date_published": json_dates,
        "date_modified": json_dates,
        "authors": json_values,
        "author": json_values,
        "tags": json_values,
    },
)


@SETTINGS
@given(
    items=st.one_of(st.lists(st.one_of(json_items, json_values), max_size=4), json_values),
    authors=json_values,
    version=st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1", 1.1]),
)
def test_json_feed_with_values_of_any_type(items: Any, authors: Any, version: Any) -> None:
    document = {"version": version, "title": "t", "authors": authors, "items": items}
    parse(json.dumps(document, allow_nan=True).encode(), "application/feed+json")


# The query language

QUERY_PIECES = [
    "acme",
    " ",
    "(",
    ")",
    '"',
    "-",
    "OR",
    "AND",
    "*",
    ":",
    "site:",
    "tag:",
    "title:",
    "author:",
    "é",
]
query_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join),
)


@SETTINGS
@given(expr=query_text)
@example(expr="((((((((((((((((((((((((((((((((((((((((acme")
@example(expr="-" * 500 + "acme")
@example(expr="(" * 2000 + "acme" + ")" * 2000)
def test_query_parser_raises_only_its_own_errors(expr: str) -> None:
    with contextlib.suppress(MentionscanError):
        parse_query(expr)


documents = st.builds(
    Document,
    title=nasty_text,
    text=nasty_text,
    tags=st.lists(nasty_text, max_size=3).map(tuple),
    url=st.one_of(nasty_text, st.just("https://acme.example/a")),
    author=nasty_text,
)


@SETTINGS
@given(expr=query_text, document=documents)
def test_matcher_never_raises_on_a_query_that_parsed(expr: str, document: Document) -> None:
    try:
        parse_query(expr)
        matcher = Matcher([("q", expr)])
    except MentionscanError:
        return
    for hit in matcher.match(document):
        assert hit.query == "q"
