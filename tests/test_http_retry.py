"""A short Retry-After is waited out within the run; a long one skips the source until then."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer

from tests.conftest import Cli

FEED = (
    '<rss version="2.0"><channel><title>t</title>'
    "<item><title>acme news</title><link>https://n.example/1</link></item></channel></rss>"
)


def test_a_short_retry_after_on_429_is_waited_for_and_the_source_succeeds(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_ordered_request("/f").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/f").respond_with_data(FEED, content_type="application/rss+xml")
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}])
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["title"] for r in json.loads(result.stdout)] == ["acme news"]
    assert len(httpserver.log) == 2


def test_a_long_retry_after_fails_the_source_at_once_and_skips_it_next_time(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/f").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}])
    first = cli("fetch", "--config", str(config))
    assert first.exit_code == 3
    assert "rate limited (HTTP 429), retry after 3600 s" in first.stderr
    assert len(httpserver.log) == 1
    second = cli("fetch", "--config", str(config))
    assert "f: rate limited by the site: skipped until" in second.stderr
    assert len(httpserver.log) == 1
