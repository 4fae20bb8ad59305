"""The `rsshub` source against a server on 127.0.0.1 standing in for a self-hosted RSSHub.

There is no fixture of RSSHub's output in ../shared/: the answers are built as RSSHub's RSS
template writes them (an RSS 2.0 channel titled "... - RSSHub", items with title, description
HTML, link, guid, pubDate and author), which is what its documentation shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import FAST, SETTINGS, asked, params

KEY = "rsshub-access-key-123"


def channel(title: str, *items: tuple[str, str, str]) -> str:
    entries = "".join(
        f"<item><title><![CDATA[{t}]]></title><description><![CDATA[<p>{d}</p>]]></description>"
        f'<link>{link}</link><guid isPermaLink="false">{link}</guid>'
        "<pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate><author><![CDATA[someone]]></author></item>"
        for t, d, link in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">'
        f"<channel><title><![CDATA[{title} - RSSHub]]></title><link>https://rsshub.example</link>"
        f"<description><![CDATA[{title} - Powered by RSSHub]]></description><generator>RSSHub</generator>"
        f"{entries}</channel></rss>"
    )


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "hub",
            "type": "rsshub",
            "instance": httpserver.url_for("/hub"),
            "routes": ["/bsky/keyword/{query}", "/mastodon/tag/{tag}"],
            "rate_per_minute": FAST,
            **options,
        }
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_each_query_reads_the_routes_it_has_words_or_tags_for(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    words = channel("Bluesky keyword", ("Acme widgets rock", "I love Acme widgets", "https://bsky.app/p/1"))
    tagged = channel(
        "#acmequestion", ("How do I reset?", "#acmequestion my widget", "https://m.example/@a/2")
    )
    httpserver.expect_request("/hub/bsky/keyword/acme widgets").respond_with_data(
        words, content_type="application/xml"
    )
    httpserver.expect_request("/hub/mastodon/tag/acmequestion").respond_with_data(
        tagged, content_type="application/xml"
    )
    empty = channel("Bluesky keyword")
    httpserver.expect_request("/hub/bsky/keyword/acmequestion").respond_with_data(
        empty, content_type="application/xml"
    )
    path = config({"brand": '"acme widgets"', "support": "tag:acmequestion"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    paths = sorted(r.path for r in asked(httpserver))
    # "support" asks its tag's route and its words' route; "brand" has no tag
    assert paths == [
        "/hub/bsky/keyword/acme widgets",
        "/hub/bsky/keyword/acmequestion",
        "/hub/mastodon/tag/acmequestion",
    ]
    found = {r["url"]: r["queries"] for r in json.loads(result.stdout)}
    assert found == {"https://bsky.app/p/1": ["brand"], "https://m.example/@a/2": ["support"]}


def test_the_access_key_is_sent_and_never_shown(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RSSHUB_KEY", KEY)
    httpserver.expect_request("/hub/bsky/keyword/acme").respond_with_data("Access denied", status=403)

    result = fetch(
        cli, config({"brand": "acme"}, routes=["/bsky/keyword/{query}"], access_key_env="RSSHUB_KEY")
    )

    assert result.exit_code == 3
    assert params(asked(httpserver)[0]) == {"key": KEY}
    assert "RSSHub refused the route" in result.stderr
    assert "name its environment variable in access_key_env" in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_a_route_the_instance_lacks_is_a_warning(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/hub/bsky/keyword/acme").respond_with_data("Not Found", status=404)

    result = fetch(cli, config({"brand": "acme"}, routes=["/bsky/keyword/{query}"]))

    assert result.exit_code == 0
    assert "RSSHub has no route /bsky/keyword/acme (or nothing for it): query 'brand' asks nothing there" in (
        result.stderr
    )


def test_a_429_fails_the_source_until_retry_after(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/hub/bsky/keyword/acme").respond_with_data(
        "", status=429, headers={"Retry-After": "900"}
    )
    path = config({"brand": "acme"}, routes=["/bsky/keyword/{query}"])

    assert fetch(cli, path).exit_code == 3
    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1
    assert "Warning: hub: rate limited by the site: skipped until " in again.stderr


@pytest.mark.parametrize("routes", [["/bsky/keyword/acme"], ["bsky/keyword/{query}"], []])
def test_a_route_without_a_placeholder_is_a_config_error(cli: Cli, config, routes: list[str]) -> None:
    result = fetch(cli, config({"brand": "acme"}, routes=routes))

    assert result.exit_code == 2
    assert "'routes'" in result.stderr


def test_a_second_run_reads_the_routes_again_and_stores_nothing_twice(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    words = channel("Bluesky keyword", ("Acme widgets rock", "I love Acme widgets", "https://bsky.app/p/1"))
    httpserver.expect_request("/hub/bsky/keyword/acme").respond_with_data(
        words, content_type="application/xml"
    )
    path = config({"brand": "acme"}, routes=["/bsky/keyword/{query}"])
    assert len(json.loads(fetch(cli, path).stdout)) == 1

    again = fetch(cli, path)

    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert len(asked(httpserver)) == 2  # a route is the newest items: no cursor to keep
