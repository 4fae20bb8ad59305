"""Other feed readers' own test documents, read by our parser and held to what those readers expect.

../shared/feeds/peers/ holds 1,052 documents from feed-rs, feedjira, gofeed, listparser, miniflux,
reader, rome and simplepie, each with `<name>.expect.json` (README.txt there says how it was
built): whether it is a feed, how many entries have something to match, and per entry the title,
link, author, date and whether it has text, where the peer states them. At least 99% must read as
the peer expects; the rest are listed below with the reason we read them otherwise.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mentionscan.models import Entry
from mentionscan.sources.feedparse import FeedError, parse_feed
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import canonical_url, host_of, is_http_url
from tests.conftest import PEERS, Cli

pytestmark = pytest.mark.shared

# The address each peer's own tests give their documents (miniflux's parse example.org's feeds).
DOCUMENT_BASE = {"miniflux": "https://example.org/"}
FEEDBURNER = ("feedproxy.google.com", "feeds.feedburner.com")
# Where we read a document otherwise than its peer, on purpose.
DIFFERENT = {
    "feedjira/GoogleDocsList.xml": "Google Docs' docs:description is not read as the entry's text",
    "gofeed/parser__rss__issue_217_enclosure_children.xml": "feedparser takes the enclosure's media:title "
    "as the item's title, so the item has something to match",
    "gofeed/parser__rss__rss_channel_item_uri_at_protocol.xml": "an at:// link is no web address: "
    "only http and https links are kept (gofeed falls back to the channel's link)",
    "gofeed/translator__rss__feed_item_image_-_rss_channel_item_description.xml": "an item whose only "
    "content is an image has nothing to match, so it is dropped",
    "miniflux/atom__TestParseEntryWithEmptyXHTMLTitle.xml": "an empty title stays empty (miniflux uses "
    "the URL; a stored mention's title falls back to its text)",
    "miniflux/rdf__TestParseRDFItemWitEmptyTitleElement.xml": "the same, in RSS 1.0",
    "miniflux/rdf__TestParseItemWithoutLink.xml": "an RSS 1.0 item without <link> is at its own "
    "rdf:about address, not at the channel's",
    "miniflux/rss__TestParseEntryWithMediaContent.xml": "media:content URLs are not text",
    "rome/atom_1.0_b.xml": "rome leaves links relative; they are resolved against xml:base here",
    "rome/atom_1.0_bray.xml": "xml:base='2006-11-05' then href='entry1' is /blog/entry1 by RFC 3986 "
    "(rome gives /blog/2006-11-05/entry1)",
}


def documents() -> list[Path]:
    return sorted(PEERS.glob("*/*.expect.json"))


def name_of(expect: Path) -> str:
    return f"{expect.parent.name}/{expect.name.removesuffix('.expect.json')}"


def document_url(expect: Path) -> str:
    base = DOCUMENT_BASE.get(expect.parent.name, f"http://127.0.0.1:9/{expect.parent.name}/")
    return base + quote(expect.name.removesuffix(".expect.json"))


def same_text(ours: str, theirs: str) -> bool:
    forms = {one_line(theirs), one_line(html.unescape(theirs)), html_to_text(theirs)}
    with contextlib.suppress(UnicodeError):  # a peer that read UTF-8 as cp1252 expects "CafÃ©"
        forms.add(one_line(theirs.encode("cp1252").decode("utf-8")))
    return one_line(ours) in forms or html_to_text(ours) in forms


def same_link(ours: str, theirs: str, url: str) -> bool:
    if theirs.startswith("BASE/"):  # reader's tests: the folder of the document
        theirs = url.rsplit("/", 1)[0] + theirs[4:]
    if not is_http_url(theirs):
        if not is_http_url(urljoin(url, theirs)):
            return ours == ""  # urn:, a bare word: only http(s) links are kept
        theirs = urljoin(url, theirs)
    if canonical_url(ours) == canonical_url(theirs):
        return True
    # FeedBurner's redirect is replaced by the item's feedburner:origLink, on purpose
    return host_of(theirs) in FEEDBURNER and is_http_url(ours) and host_of(ours) not in FEEDBURNER


def same_author(entry: Entry, theirs: str) -> bool:
    names = [one_line(n) for n in (entry.authors or (entry.author,)) if n]
    wanted = one_line(theirs)
    # miniflux joins several authors ("Alice, Bob"): ours is the first, and every one is kept
    if wanted in names or wanted.split(", ")[0] in names:
        return True
    # "Name (mailto:address)" is read as the name and the address
    return bool(entry.author_email) and f"(mailto:{entry.author_email})" in wanted and entry.author in wanted


def differences(expect: Path) -> list[str]:
    """What we read otherwise than the peer expects ([] when nothing)."""
    expected: dict[str, Any] = json.loads(expect.read_text(encoding="utf-8"))
    body = expect.with_name(expect.name.removesuffix(".expect.json")).read_bytes()
    url = document_url(expect)
    headers = {"content-type": expected.get("content_type") or "application/xml"}
    try:
        entries = parse_feed(body, headers, url=url, source="peer").entries
    except FeedError as error:
        if expected["kind"] == "feed":
            return [f"refused: {error}"]
        message = str(error)
        return [] if "\n" not in message and message.startswith(url + ": ") else [message]
    if expected["kind"] == "nonfeed":
        return [f"read as a feed of {len(entries)} entries"]
    listed = expected.get("entries") or []
    # The harness counts a relative link as no link; where the peer lists its entries, it resolved them.
    counts = {expected["count"], len(listed) if expected["basis"] == "peer-count" and listed else None}
    if expected["kind"] == "feed" and expected["count"] is not None and len(entries) not in counts:
        return [f"{len(entries)} entries, not {expected['count']}"]
    found = []
    for i, (entry, theirs) in enumerate(zip(entries, listed, strict=False)):
        if theirs.get("title") is not None and not same_text(entry.title, theirs["title"]):
            found.append(f"[{i}] title {entry.title!r}, not {theirs['title']!r}")
        if theirs.get("link") is not None and not same_link(entry.url, theirs["link"], url):
            found.append(f"[{i}] link {entry.url!r}, not {theirs['link']!r}")
        if theirs.get("author") is not None and not same_author(entry, theirs["author"]):
            found.append(f"[{i}] author {entry.author!r}, not {theirs['author']!r}")
        if theirs.get("date") is not None:
            want = parse_time(theirs["date"])
            if want is None or entry.published is None or abs((want - entry.published).total_seconds()) >= 1:
                found.append(f"[{i}] date {entry.published}, not {theirs['date']!r}")
        # Text where a peer has none is fine (media:description, a summary beside content src).
        if theirs.get("has_text") and not entry.text:
            found.append(f"[{i}] no text")
        if theirs.get("has_title") is not None and bool(entry.title) != theirs["has_title"]:
            found.append(f"[{i}] {'a' if entry.title else 'no'} title")
    return found


@pytest.mark.slow
def test_at_least_99_percent_of_the_peers_documents_read_as_the_peer_expects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    expects = documents()
    assert len(expects) > 1000, f"the peers' documents are missing: {PEERS}"
    differing = {name_of(e): found for e in expects if (found := differences(e))}
    share = 1 - len(differing) / len(expects)
    with capsys.disabled():
        print(f"\npeers: {len(expects) - len(differing)} of {len(expects)} ({share:.1%}) read as expected")
    assert share >= 0.99
    # Each difference is one we chose, with its reason above; a new one is a regression.
    unexplained = {name: found for name, found in differing.items() if name not in DIFFERENT}
    assert not unexplained
    assert set(DIFFERENT) == set(differing), "a listed difference is gone: take it off the list"


@pytest.mark.slow
def test_every_peer_document_that_is_no_feed_fails_its_source_in_one_line(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    nonfeeds = [e for e in documents() if json.loads(e.read_text(encoding="utf-8"))["kind"] == "nonfeed"]
    assert len(nonfeeds) > 100

    def handler(request: Request) -> Response:
        expect = PEERS / (request.path.removeprefix("/p/") + ".expect.json")
        content_type = json.loads(expect.read_text(encoding="utf-8"))["content_type"]
        return Response(expect.with_name(expect.name.removesuffix(".expect.json")).read_bytes(), 200,
                        {"Content-Type": content_type or "application/xml"})  # fmt: skip

    httpserver.expect_request(re.compile("^/p/")).respond_with_handler(handler)
    sources = [
        {"name": f"n{i:03d}", "type": "feed", "url": httpserver.url_for("/p/" + name_of(e))}
        for i, e in enumerate(nonfeeds)
    ]
    path = write_config({"any": "the OR a OR feed"}, sources, settings={"concurrency": 16})

    result = cli("fetch", "--config", str(path), "--quiet")

    assert result.exit_code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == len(nonfeeds), result.stderr
    for source, line in zip(sources, sorted(errors), strict=True):
        assert line.startswith(f"Error: {source['name']}: {source['url']}: "), line
    assert "Traceback" not in result.stderr
