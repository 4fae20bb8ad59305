"""Feeds as other readers' test documents write them, read by a real `fetch` (issue 11)."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer

from tests.conftest import Cli


def fetch_one(cli: Cli, httpserver: HTTPServer, write_config, body: bytes, content_type: str, **more):
    """Serve `body` at /blog/feed.xml, fetch it with the query `acme`, return (result, config)."""
    httpserver.expect_request("/blog/feed.xml").respond_with_data(body, content_type=content_type)
    source = {"name": "blog", "type": "feed", "url": httpserver.url_for("/blog/feed.xml")}
    path = write_config({"acme": "acme"}, [source])
    return cli("fetch", "--config", str(path), "--format", "json", *more.get("args", ())), path


RELATIVE = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>b</title><link>https://acme.example/</link>
<item><title>Acme one</title><link>blog/post/2</link><guid isPermaLink="false">p2</guid></item>
<item><title>Acme two</title><link>/about/acme</link></item>
</channel></rss>"""
XML_BASE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://acme.example/news/"><title>n</title>
<entry><title>Acme in Atom</title><link href="2026/acme"/><id>urn:uuid:1</id>
<updated>2026-11-20T08:00:00Z</updated></entry></feed>"""


def test_relative_links_resolve_against_xml_base_and_the_feeds_url(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    result, _ = fetch_one(cli, httpserver, write_config, RELATIVE, "application/rss+xml")
    assert result.exit_code == 0, result.stderr
    base = httpserver.url_for("/blog/")
    assert sorted(m["url"] for m in json.loads(result.stdout)) == [
        httpserver.url_for("/about/acme"),
        base + "blog/post/2",
    ]
    httpserver.clear()
    again, _ = fetch_one(cli, httpserver, write_config, XML_BASE, "application/atom+xml")
    assert [m["url"] for m in json.loads(again.stdout)] == ["https://acme.example/news/2026/acme"]


AUTHORS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>n</title>
<entry><title>Acme, by three</title><link href="https://acme.example/3"/><id>urn:uuid:3</id>
<author><name>Alice</name><email>alice@acme.example</email></author><author><name>Bob</name></author>
<author><name>Carol</name></author><updated>2026-11-20T08:00:00Z</updated></entry></feed>"""
DUBLIN_CORE = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://xml.example/"><title>x</title><link>https://xml.example/</link></channel>
<item rdf:about="https://xml.example/acme"><title>Acme and XML</title><link>https://xml.example/acme</link>
<dc:creator>Simon St.Laurent (mailto:simonstl@simonstl.com)</dc:creator></item></rdf:RDF>"""


def test_the_first_author_is_the_author_and_every_author_is_kept(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    result, path = fetch_one(cli, httpserver, write_config, AUTHORS, "application/atom+xml")
    [found] = json.loads(result.stdout)
    assert (found["author"], found["author_email"]) == ("Alice", "alice@acme.example")
    shown = cli("show", found["id"], "--config", str(path))
    assert shown.exit_code == 0, shown.stderr
    assert "authors:   Alice, Bob, Carol" in shown.stdout


def test_a_dublin_core_creator_with_mailto_is_a_name_and_an_address(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    result, _ = fetch_one(cli, httpserver, write_config, DUBLIN_CORE, "application/rdf+xml")
    [found] = json.loads(result.stdout)
    assert (found["author"], found["author_email"]) == ("Simon St.Laurent", "simonstl@simonstl.com")


JSON_FEED = {
    "version": "1.1",  # not the spec's URL, as some feeds write it
    "title": "j",
    "items": [
        {
            "id": "1",
            "url": "https://acme.example/j1",
            "title": "Acme in JSON",
            "content_html": True,  # not a string: no text, and never the word "True"
            "date_published": "Fri, 31 May 2019 12:17:58 -0700",  # RFC 822, not RFC 3339
        },
        {"id": "2", "url": "posts/j2", "title": "Acme, relative", "content_text": "acme"},
    ],
}


def test_json_feed_version_dates_and_non_string_content(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    body = json.dumps(JSON_FEED).encode()
    result, path = fetch_one(cli, httpserver, write_config, body, "application/feed+json")
    assert result.exit_code == 0, result.stderr
    found = {m["title"]: m for m in json.loads(result.stdout)}
    assert found["Acme in JSON"]["published"] == "2019-05-31T19:17:58Z"
    assert found["Acme in JSON"]["snippet"] == "Acme in JSON"  # the title: there is no text
    assert found["Acme, relative"]["url"] == httpserver.url_for("/blog/posts/j2")
    true = cli("test-query", "true", "--config", str(path), "--format", "json")
    assert json.loads(true.stdout) == []


FOAF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:foaf="http://xmlns.com/foaf/0.1/"
 xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:rss="http://purl.org/rss/1.0/">
<foaf:Agent><foaf:name>Acme</foaf:name><foaf:weblog><foaf:Document rdf:about="https://acme.example/">
<rdfs:seeAlso><rss:channel rdf:about="https://acme.example/feed"/></rdfs:seeAlso>
</foaf:Document></foaf:weblog></foaf:Agent></rdf:RDF>"""


def test_a_foaf_document_is_not_a_feed(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    result, _ = fetch_one(cli, httpserver, write_config, FOAF, "application/rdf+xml")
    assert result.exit_code == 3
    url = httpserver.url_for("/blog/feed.xml")
    assert (
        f"Error: blog: {url}: not a feed (an RDF document with no channel or items, such as FOAF)"
        in result.stderr
    )


def test_utf16_without_a_byte_order_mark_is_read(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        text = (
            # no XML declaration either (simplepie's feed-utf16le.xml): nothing says what it is
            '<rss version="2.0"><channel><title>b</title>'
            f"<item><title>Acme, café ({codec})</title><link>https://acme.example/{codec}</link></item>"
            "</channel></rss>"
        )
        httpserver.clear()
        result, _ = fetch_one(cli, httpserver, write_config, text.encode(codec), "application/rss+xml")
        assert result.exit_code == 0, result.stderr
        assert [m["title"] for m in json.loads(result.stdout)] == [f"Acme, café ({codec})"]
