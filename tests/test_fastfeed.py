"""fastfeedparser in front of feedparser: what is stored is the same, and the hardening holds.

Each document fastfeedparser is handed (`fast_feed` returns its entries) is read again by
feedparser alone, and what mentionscan stores of each entry must be the same: title, URL,
authors, date, text, tags, GUID and the dedup keys. A document `fast_feed` declines is read by
feedparser alone anyway, so only the ones it takes can differ.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.dedup import entry_keys
from mentionscan.models import Entry
from mentionscan.sources import feedparse
from mentionscan.sources.fastfeed import fast_feed
from mentionscan.sources.feedparse import parse_feed
from tests.conftest import FIXTURES, REALWORLD, SHARED, Cli

BLANK = Entry(source="s", source_type="feed", url="", title="")
BASE = "https://example.org/feed"


def stored(entries: list[Entry]) -> list[dict[str, Any]]:
    return [{**asdict(e), "keys": entry_keys(e)} for e in entries]


def by_feedparser(body: bytes, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(feedparse, "fast_feed", lambda *args: None)
        return parse_feed(body, headers, url=BASE, source="s")


def rss_item(n: int, **extra: str) -> str:
    fields = {
        "title": f"Acme release {n} &#150; café",
        "link": f"https://blog.example/posts/{n}",
        "guid": f'<guid isPermaLink="false">post-{n}</guid>',
        "pubDate": f"Tue, 0{n % 9 + 1} Dec 2026 08:00:00 GMT",
        "author": f"writer{n}@blog.example (Writer {n})",
        "category": "news",
        "description": f"&lt;p&gt;We shipped &lt;em&gt;acme {n}&lt;/em&gt; &amp;amp; more.&lt;/p&gt;",
        **extra,
    }
    inner = "".join(v if v.startswith("<guid") else f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<item>{inner}</item>"


def rss(items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return f'{declaration}<rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>'.encode()


def test_a_blogs_feed_is_read_by_fastfeedparser_as_feedparser_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the last: UTF-8 read as ISO-8859-1 and written as UTF-8 again, which feedparser undoes
    twice = rss_item(12, description="written twice: caf\u00c3\u00a9")
    body = rss("".join(rss_item(n) for n in range(12)) + twice)
    fast = fast_feed(body, "application/rss+xml", BLANK, BASE)
    assert fast is not None and len(fast.entries) == 13
    assert fast.entries[12].text == "written twice: café"
    first = fast.entries[0]
    assert (first.title, first.text, first.author, first.author_email) == (
        "Acme release 0 – café",
        "We shipped acme 0 & more.",
        "Writer 0",
        "writer0@blog.example",
    )
    assert first.published is not None and first.published.isoformat() == "2026-12-01T08:00:00+00:00"
    ours = parse_feed(body, {"content-type": "application/rss+xml"}, url=BASE, source="s")
    assert stored(ours.entries) == stored(by_feedparser(body, {}, monkeypatch).entries)


@pytest.mark.parametrize(
    ("why", "body", "content_type"),
    [
        ("malformed: feedparser says so", rss(rss_item(1) + "<item><title>a &nbsp; b</title></item>"), ""),
        ("another encoding", rss(rss_item(1), '<?xml version="1.0" encoding="iso-8859-1"?>'), ""),
        ("a charset in the header", rss(rss_item(1)), "application/rss+xml; charset=windows-1252"),
        ("an item without a GUID", rss(rss_item(1) + "<item><title>t</title></item>"), ""),
        ("xml:base", rss(rss_item(1)).replace(b"<channel>", b'<channel xml:base="https://b.example/">'), ""),
        ("deeper than libxml2's limit", rss(rss_item(1) + "<x>" * 300 + "</x>" * 300), ""),
    ],
)
def test_what_fastfeedparser_reads_otherwise_goes_to_feedparser(
    why: str, body: bytes, content_type: str
) -> None:
    assert fast_feed(body, content_type, BLANK, BASE) is None, why
    assert parse_feed(body, {"content-type": content_type}, url=BASE, source="s").entries, why


def test_with_fastfeedparser_no_entity_is_expanded_and_no_file_or_url_is_opened(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    secret = tmp_path / "hostname"
    secret.write_text("SECRET-HOST-91ab")
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    xxe = f'<!DOCTYPE rss [<!ENTITY co "lol-co"><!ENTITY x SYSTEM "file://{secret}">]>'
    hostile = rss(rss_item(1, title="acme &co; [&x;]") + rss_item(2, title="acme two"), declaration + xxe)
    # fastfeedparser reads it (it is in the path), and neither expands nor opens anything
    fast = fast_feed(hostile, "", BLANK, BASE)
    assert fast is not None and [e.url for e in fast.entries] == [
        "https://blog.example/posts/1",
        "https://blog.example/posts/2",
    ]
    # a billion laughs: libxml2 refuses the amplification before fastfeedparser sees it
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = rss(rss_item(3, title="acme &l9;"), f'{declaration}<!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>')
    assert fast_feed(bomb, "", BLANK, BASE) is None
    # a body that is a file's path or a URL: handed over as bytes, never opened or fetched
    httpserver.expect_request("/never").respond_with_data(rss(rss_item(4)))
    for body in (str(secret).encode(), httpserver.url_for("/never").encode()):
        assert fast_feed(body, "", BLANK, BASE) is None
    httpserver.expect_request("/feed").respond_with_data(hostile, content_type="application/rss+xml")
    httpserver.expect_request("/bomb").respond_with_data(bomb, content_type="application/rss+xml")
    config = write_config(
        {"acme": "acme"},
        [
            {"name": "hostile", "type": "feed", "url": httpserver.url_for("/feed")},
            {"name": "bomb", "type": "feed", "url": httpserver.url_for("/bomb")},
        ],
    )
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "bomb: " in result.stderr and "amplification factor" in result.stderr  # feedparser's warning
    found = json.loads(result.stdout)
    assert sorted(m["url"] for m in found) == [f"https://blog.example/posts/{n}" for n in (1, 2, 3)]
    everything = result.stdout + result.stderr + (config.parent / "mentions.json").read_text()
    assert "SECRET-HOST-91ab" not in everything and "lol" not in everything
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert sorted(r.path for r, _ in httpserver.log) == ["/bomb", "/feed"]


def documents() -> list[Path]:
    folders = (SHARED / "feeds", FIXTURES, REALWORLD)
    skip = {".py", ".txt", ".json", ".md", ".html"}
    return sorted(p for f in folders for p in f.rglob("*") if p.is_file() and p.suffix not in skip)


@pytest.mark.shared
@pytest.mark.slow
def test_every_shared_document_fastfeedparser_takes_is_stored_as_feedparser_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken, differ = 0, []
    for path in documents():
        body = path.read_bytes()
        if fast_feed(body, "", BLANK, BASE) is None:
            continue  # feedparser reads it alone
        taken += 1
        ours = parse_feed(body, {}, url=BASE, source="s")
        theirs = by_feedparser(body, {}, monkeypatch)
        if stored(ours.entries) != stored(theirs.entries) or ours.warnings != theirs.warnings:
            differ.append(str(path.relative_to(SHARED)))
    assert len(documents()) > 3000
    assert taken >= 60  # the well-formed real-world feeds with a GUID on every item
    assert differ == []
