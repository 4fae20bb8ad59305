"""The RSS fast path (fastfeed.py) gives exactly what feedparser gives, or leaves the feed to it.

Every document is parsed twice through `parse_feed`: as it is (fast path when it applies) and
with the fast path switched off (feedparser). Both must give the same entries, warnings and
errors. The documents: feedparser's own test corpus (2,100 feeds built to exercise its edge
cases), the project's test feeds and recorded fixtures, the benchmark's feeds, and generated
RSS full of awkward text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentionscan import fastfeed
from mentionscan.feeds import FeedError, parse_feed
from tests.conftest import DATA, FIXTURES, ROOT, SHARED

CORPUS = SHARED / "feeds" / "feedparser-tests"
HEADERS = (
    {"Content-Type": "application/rss+xml; charset=utf-8"},
    {"Content-Type": "text/xml"},
    {},
)


def both_ways(
    body: bytes, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[object, object, bool]:
    """(result as it is, result through feedparser, whether the fast path took it)."""
    taken = fastfeed.simple_rss_entries(body, headers) is not None

    def parse() -> object:
        try:
            return parse_feed(body, headers, url="https://example.com/feed", source="blog")
        except FeedError as error:
            return ("FeedError", str(error))

    as_is = parse()
    with monkeypatch.context() as patch:
        patch.setattr(fastfeed, "simple_rss_entries", lambda body, headers: None)
        slow = parse()
    return as_is, slow, taken


def documents() -> list[Path]:
    found = sorted(CORPUS.rglob("*.xml"))
    found += sorted(DATA.glob("*.xml")) + sorted(DATA.glob("*.rdf"))
    found += sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".xml", ".rss", ".atom"))
    return found


def test_the_corpus_is_there():
    assert len(list(CORPUS.rglob("*.xml"))) > 2000


def test_every_known_document_reads_the_same_both_ways(monkeypatch):
    taken = 0
    different = []
    for path in documents():
        body = path.read_bytes()
        for headers in HEADERS:
            as_is, slow, fast = both_ways(body, headers, monkeypatch)
            taken += fast
            if as_is != slow:
                different.append(f"{path.relative_to(SHARED.parent)} {headers}")
    assert different == []
    assert taken >= 300  # the fast path is exercised, not skipped everywhere


def test_the_benchmark_feeds_take_the_fast_path_and_read_the_same(monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from feedgen import feed_xml
    finally:
        sys.path.remove(str(ROOT / "bench"))
    for number in range(5):
        body = feed_xml(number, 50, port=8080)
        as_is, slow, fast = both_ways(
            body, {"Content-Type": "application/rss+xml; charset=utf-8"}, monkeypatch
        )
        assert fast
        assert as_is == slow
        assert len(as_is.entries) == 50  # type: ignore[attr-defined]


def test_what_it_leaves_to_feedparser():
    plain = b'<rss version="2.0"><channel><item><title>t</title></item></channel></rss>'
    assert fastfeed.simple_rss_entries(plain, {}) is not None
    refused = {
        "atom": b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title></entry></feed>',
        "rss 0.91": plain.replace(b'"2.0"', b'"0.91"'),
        "unknown element": plain.replace(
            b"<title>t</title>", b"<media:title xmlns:media='m'>t</media:title>"
        ),
        "markup inside": plain.replace(b"<title>t</title>", b"<title>a <b>b</b></title>"),
        "two titles": plain.replace(b"<title>t</title>", b"<title>t</title><title>u</title>"),
        "xml:base": plain.replace(b"<item>", b'<item xml:base="http://x/">'),
        "a DTD": b'<!DOCTYPE rss [<!ENTITY e "x">]>' + plain.replace(b">t<", b">&e;<"),
        "an HTML entity": plain.replace(b">t<", b">&nbsp;<"),
        "a channel author": plain.replace(b"<item>", b"<managingEditor>a@b.example</managingEditor><item>"),
        "an attribute": plain.replace(b"<title>", b'<title type="html">'),
        "latin-1 declared": plain.replace(b">t<", "é".encode("latin-1")).join(
            [b'<?xml version="1.0" encoding="iso-8859-1"?>', b""]
        ),
    }
    for name, body in refused.items():
        assert fastfeed.simple_rss_entries(body, {"Content-Type": "application/rss+xml"}) is None, name
    utf8 = plain.replace(b">t<", ">é<".encode())
    assert fastfeed.simple_rss_entries(utf8, {"Content-Type": "application/rss+xml"}) is not None
    assert fastfeed.simple_rss_entries(utf8, {"Content-Type": "text/xml"}) is None  # RFC 3023: us-ascii
    assert fastfeed.simple_rss_entries(utf8, {}) is None


# Generated feeds: the text feedparser treats specially, in every item element the fast path reads.

AWKWARD = st.sampled_from(
    [
        "Acme & co",
        "<b>bold</b> claim",
        "&lt;i&gt;escaped&lt;/i&gt;",
        "caf\u00c3\u00a9 (UTF-8 read as Latin-1)",
        "quote \x93smart\x94 \x85",
        "x &amp;amp; y",
        "  padded  ",
        "",
        "\u00e9t\u00e9 \u2014 \U0001f680",
        "hr@acme.example (Acme HR)",
        "Zo\u00eb <zoe@example.com>",
        "mailto:a@b.co?subject=hi",
        "http://example.com/a?b=1&c=2",
        "http://example.com/a?b=1&amp;c=2&d;=3",
        "https:///example.com//x",
        "/relative/path",
        "Mon, 23 Nov 2026 07:00:00 GMT",
        "2026-11-23T07:00:00Z",
        "not a date",
        "</p> stray close",
        "&#233;t&#xE9;",
    ]
)
TEXT = st.one_of(AWKWARD, st.text(max_size=30), st.lists(AWKWARD, max_size=3).map(" ".join))
URLS = st.sampled_from(
    [
        "http://example.com/post/1",
        "https://example.com/a?b=1&c=2",
        "http://example.com/a?b=1&amp;c=2&d;=3",
        "https:///example.com//x",
        "/relative/path",
        "",
        "  http://example.com/padded  ",
        "javascript:alert(1)",
        "http://caf\u00c3\u00a9.example/\x93",
    ]
)
# The text each element most often holds, and anything at all.
VALUES = {
    "link": st.one_of(URLS, TEXT),
    "guid": st.one_of(URLS, TEXT),
    "guid-false": st.one_of(URLS, TEXT),
    "comments": st.one_of(URLS, TEXT),
}


@st.composite
def rss_items(draw: st.DrawFn) -> bytes:
    children = []
    for tag in draw(
        st.lists(
            st.sampled_from(
                ["title", "link", "description", "guid", "guid-false", "pubDate", "category", "author",
                 "content:encoded", "dc:creator", "comments", "category"]
            ),
            max_size=9,
        )
    ):  # fmt: skip
        value = draw(VALUES.get(tag, TEXT))
        cdata = draw(st.booleans()) and "]]>" not in value
        inner = f"<![CDATA[{value}]]>" if cdata else escape(value)
        if tag == "guid-false":
            children.append(f'<guid isPermaLink="false">{inner}</guid>')
        else:
            children.append(f"<{tag}>{inner}</{tag}>")
    return ("<item>" + "".join(children) + "</item>").encode("utf-8", "surrogatepass")


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    items=st.lists(rss_items(), min_size=1, max_size=3),
    content_type=st.sampled_from(["application/rss+xml", "application/rss+xml; charset=utf-8", "text/xml"]),
)
def test_generated_feeds_read_the_same_both_ways(items, content_type, monkeypatch):
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        b'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<channel><title>Blog</title><link>https://example.com/</link>"
        + b"".join(items)
        + b"</channel></rss>"
    )
    as_is, slow, _ = both_ways(body, {"Content-Type": content_type}, monkeypatch)
    assert as_is == slow


ITEMS = {
    "guid then link": "<guid>http://example.com/g</guid><link>http://example.com/l</link>",
    "link then guid": "<link>http://example.com/l</link><guid>http://example.com/g</guid>",
    "empty link then guid": "<link></link><guid>http://example.com/g</guid>",
    "relative link then guid": "<link>/l</link><guid>http://example.com/g</guid>",
    "guid then empty link": "<guid>http://example.com/g</guid><link></link>",
    "guid not a permalink": '<guid isPermaLink="false">http://example.com/g</guid>',
    "guid not a permalink, odd case": '<guid isPermaLink="False">http://example.com/g</guid>',
    "guid alone": "<guid>tag:example.com,2026:1</guid>",
    "link with entities": "<link>http://example.com/a?b=1&amp;amp;c=2&amp;d;=3</link>",
    "author name (email)": "<author>Zoë (zoe@example.com)</author>",
    "author email (name)": "<author>hr@acme.example (Acme HR)</author>",
    "author name only": "<author>Zoë</author>",
    "author and dc:creator": "<author>a@b.example (A)</author><dc:creator>Bee</dc:creator>",
    "dc:creator then author": "<dc:creator>Bee</dc:creator><author>a@b.example (A)</author>",
    "content, description": "<content:encoded>&lt;p&gt;full</content:encoded><description>s</description>",
    "description, content": "<description>s</description><content:encoded>&lt;p&gt;full</content:encoded>",
    "html-looking title": "<title>&lt;b&gt;bold&lt;/b&gt; &amp;amp; more</title>",
    "same category twice": "<category>a</category><category>a</category><category>b</category>",
    "empty category": "<category></category><category> x </category>",
    "dates": "<pubDate>Mon, 23 Nov 2026 07:00:00 +0100</pubDate>",
    "a bad date": "<pubDate>yesterday</pubDate>",
}


@pytest.mark.parametrize("inner", ITEMS.values(), ids=ITEMS.keys())
def test_tricky_items_read_the_same_both_ways(inner, monkeypatch):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Blog</title><item>{'' if '<title>' in inner else '<title>t</title>'}{inner}</item>"
        "</channel></rss>"
    ).encode()
    as_is, slow, fast = both_ways(body, {"Content-Type": "application/rss+xml"}, monkeypatch)
    assert fast
    assert as_is == slow
