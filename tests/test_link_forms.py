"""Links as the real world writes them, read by a real `fetch`: redirect wrappers, FeedBurner, keys."""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from tests.conftest import Cli

ALERTS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - acme</title>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id><title>Acme ships widgets</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example/acme-widgets&amp;ct=ga&amp;usg=AFQ"/>
<content type="html">Acme ships widgets</content><updated>2026-11-20T08:00:00Z</updated></entry>
<entry><id>tag:google.com,2013:googlealerts/feed:2</id><title>Acme on AMP</title>
<link href="https://news-example.cdn.ampproject.org/c/s/news.example/amp/acme"/>
<content type="html">Acme again</content><updated>2026-11-20T09:00:00Z</updated></entry>
</feed>"""
FEEDBURNER = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>b</title>
<item><title>Acme review</title><link>http://feeds.feedburner.com/~r/blog/~3/Xy12/acme-review</link>
<feedburner:origLink>https://blog.example/2026/acme-review</feedburner:origLink>
<description>about acme</description></item></channel></rss>"""


def test_site_sees_the_page_behind_a_google_alert_and_an_amp_cache(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/alerts").respond_with_data(ALERTS, content_type="application/atom+xml")
    url = httpserver.url_for("/alerts")
    path = write_config({"news": "acme site:news.example"}, [{"name": "alerts", "type": "feed", "url": url}])

    found = cli.json("fetch", "--config", str(path), "--format", "json", code=0)

    assert sorted(m["url"] for m in found) == [
        "https://news.example/acme-widgets",
        "https://news.example/amp/acme",
    ]


def test_feedburner_items_are_stored_at_their_original_link(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/fb").respond_with_data(FEEDBURNER, content_type="application/rss+xml")
    path = write_config({"acme": "acme"}, [{"name": "fb", "type": "feed", "url": httpserver.url_for("/fb")}])

    [found] = cli.json("fetch", "--config", str(path), "--format", "json", code=0)

    assert found["url"] == "https://blog.example/2026/acme-review"
