"""Google Alerts delivered to a feed: a `feed` source on `google.com/alerts/feeds/...`."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import PEERS, Cli

ALERT = "/alerts/feeds/04175468913983673025/4428013283581841004"


@pytest.mark.shared
def test_an_alert_feed_gives_the_articles_and_their_publishers(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    body = (PEERS / "feedjira" / "google_alerts_atom.xml").read_bytes()
    httpserver.expect_request(ALERT).respond_with_data(body, content_type="application/atom+xml")
    source = {
        "name": "alert",
        "type": "feed",
        "url": "https://www.google.com" + ALERT,  # as Google shows it; base_url sends it here
        "base_url": httpserver.url_for("/"),
    }
    config = write_config({"slack": "slack -site:rivertonroll.com"}, [source])
    found = {r["url"]: r for r in cli.json("fetch", "--config", str(config), "--format", "json")}
    story = found["https://investorplace.com/2019/07/slack-stock-truly-compelling/"]
    assert story["title"] == "Slack Stock Has a Compelling Story and the Numbers to Back It Up"  # no <b>
    assert story["author"] == "investorplace.com"
    assert story["snippet"].startswith("In the run up to the IPO for Slack Technologies Inc (NYSE:WORK)")
    assert all(not url.startswith("https://www.google.com/url") for url in found)
    assert all("rivertonroll.com" not in url for url in found)  # site: sees the publisher's host
    assert all(r["author"] for r in found.values())


def test_a_plain_feed_keeps_its_missing_author(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id>'
        "<updated>2026-11-20T10:00:00Z</updated>"
        '<entry><title type="html">&lt;b&gt;Acme&lt;/b&gt; news</title>'
        "<id>urn:t:1</id><updated>2026-11-20T10:00:00Z</updated>"
        '<link href="https://news.example/acme"/><author><name></name></author></entry></feed>'
    )
    httpserver.expect_request("/feed").respond_with_data(body, content_type="application/atom+xml")
    config = write_config(
        {"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/feed")}]
    )
    (record,) = cli.json("fetch", "--config", str(config), "--format", "json")
    assert (record["title"], record["author"]) == ("Acme news", None)
