"""The `bing_news` source against a server on 127.0.0.1 replaying Bing News RSS answers."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import (
    FAST,
    SETTINGS,
    USER_AGENT,
    asked,
    fixture_bytes,
    params,
    parse_job_after_pickling,
    record_id,
    records,
    stored,
    stored_state,
)

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/


PATH = "/bing/news/search"
FEED = "bing_news/bing_news_rss_2026-09_reconstructed.xml"  # four items captured 2026-09-21
EMPTY = "bing_news/bing_news_rss_empty_2026.xml"
RSS = "application/rss+xml; charset=utf-8"
WIRED = "https://www.wired.com/story/the-fbi-doubles-down-on-easing-bestiality-hiring-standards/"


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "bn",
            "type": "bing_news",
            "base_url": httpserver.url_for("/bing"),
            "rate_per_minute": FAST,
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_search_request_every_field_and_the_interval(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(FEED), content_type=RSS)
    path = config({"patel": "Patel -prostitution"}, market="en-US")

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (request,) = asked(httpserver)
    assert request.path == PATH
    assert params(request) == {"q": "Patel -prostitution", "format": "rss", "mkt": "en-US"}
    assert request.headers["User-Agent"] == USER_AGENT
    assert "application/rss+xml" in request.headers["Accept"]
    # two items name prostitution, one does not name Patel: our matcher drops three of four
    assert "bn: 4 entries, 1 matched, 1 new, 3 not a match" in result.stderr
    assert records(result.stdout) == {
        WIRED: {
            "id": record_id(WIRED.removeprefix("https://www.").rstrip("/")),
            "url": WIRED,  # the publisher's page, read out of Bing's apiclick tracker
            "title": "The FBI Doubles Down on Easing ‘Bestiality’ Hiring Standards",
            "snippet": (
                "FBI director Kash Patel claimed to US senators that the removal of a bar on hiring people "
                "who had engaged in bestiality was aimed at protecting sexual assault survivors."
            ),
            "author": "Wired",
            "author_url": None,
            "author_email": None,
            "published": "2026-09-15T06:50:00Z",
            "source": "bn",
            "source_type": "bing_news",
            "queries": ["patel"],
            "status": "new",
            "link": None,
            "related": [],
        }
    }
    (mention,) = stored(path).values()
    canonical = WIRED.removeprefix("https://www.").rstrip("/")
    assert set(mention.keys) == {f"u:{canonical}", "n:bing:" + hashlib.sha1(canonical.encode()).hexdigest()}
    assert not any("apiclick" in key for key in mention.keys)
    assert set(stored_state(path, "task:bn\x1fpatel")) == {"cursors"}

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    assert params(asked(httpserver)[1])["qft"] == 'interval="7"'  # the last day only
    assert again.stdout.strip() == "[]"
    assert len(stored(path)) == 1


def test_no_market_is_sent_unless_configured_and_max_age_picks_the_interval(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(FEED), content_type=RSS)
    source = {
        "name": "bn",
        "type": "bing_news",
        "base_url": httpserver.url_for("/bing"),
        "rate_per_minute": FAST,
    }
    path = write_config({"fbi": "FBI"}, [source], settings={"max_age_days": 5})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    assert params(asked(httpserver)[0]) == {"q": "FBI", "format": "rss", "qft": 'interval="8"'}


def test_a_search_with_no_results_is_a_success(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(EMPTY), content_type=RSS)

    result = fetch(cli, config({"x": "referendum"}))

    assert result.exit_code == 0, result.stderr
    assert "bn: 0 entries, 0 matched, 0 new" in result.stderr


def test_the_same_article_twice_is_stored_once(cli: Cli, httpserver: HTTPServer, config) -> None:
    # Each answer's tracker links carry new tid/c values; the article is the same.
    first = fixture_bytes(FEED)
    second = first.replace(b"tid=6ab1419874f441408c16c26484316ff0", b"tid=0000aaaa").replace(
        b"c=1486738033267397200", b"c=42"
    )
    httpserver.expect_ordered_request(PATH).respond_with_data(first, content_type=RSS)
    httpserver.expect_ordered_request(PATH).respond_with_data(second, content_type=RSS)
    path = config({"fbi": "FBI"})

    assert "bn: 4 entries, 2 matched, 2 new, 2 not a match" in fetch(cli, path).stderr
    again = fetch(cli, path)

    assert "bn: 4 entries, 2 matched, 0 new, 2 not a match" in again.stderr
    assert len(stored(path)) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_fails_the_source(cli: Cli, httpserver: HTTPServer, config, status: int) -> None:
    httpserver.expect_request(PATH).respond_with_data("<html>blocked</html>", status=status)

    result = fetch(cli, config({"x": "acme"}))

    assert result.exit_code == 3
    assert (
        f"Error: bn: Bing refused the search (HTTP {status}): it needs no key, so this network is "
        "probably blocked: try again later or from another network"
    ) in result.stderr


def test_rate_limited_then_skipped(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data("", status=429, headers={"Retry-After": "45"})
    path = config({"x": "acme"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 45 s" in result.stderr
    assert len(asked(httpserver)) == 1
    assert "Warning: bn: rate limited by the site: skipped until " in again.stderr


def test_the_parse_job_survives_pickling(httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(FEED), content_type=RSS)

    parsed = parse_job_after_pickling(config({"x": "FBI"}))

    assert [e.url.split("/")[2] for e in parsed.entries] == [
        "www.wired.com",
        "www.chicagotribune.com",
        "www.msn.com",
        "www.dailytelegraph.com.au",
    ]
