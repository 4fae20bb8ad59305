"""Deeply nested TOML, JSON feeds and JSON answers: one line each, never a RecursionError."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import Cli

DEEP = 100_000  # levels: far past Python's recursion limit (1,000)


def test_a_deeply_nested_config_is_a_one_line_config_error(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[settings]\nx = " + "[" * 2_000 + "]" * 2_000 + "\n", encoding="utf-8")
    for command in (["fetch"], ["doctor"], ["list"]):
        result = cli(*command, "--config", str(config))
        assert (result.exit_code, result.stdout) == (2, ""), command
        assert result.stderr == f"Error: {config}: arrays or inline tables nested too deeply to read\n"


def test_deeply_nested_json_from_a_feed_or_an_api_fails_only_that_source(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    nested = ("[" * DEEP + "]" * DEEP).encode()
    feed = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + nested + b"}"
    httpserver.expect_request("/feed.json").respond_with_data(feed, content_type="application/feed+json")
    httpserver.expect_request("/hn/api/v1/search_by_date").respond_with_data(
        nested, content_type="application/json"
    )
    httpserver.expect_request("/lemmy/api/v3/search").respond_with_data(
        nested, content_type="application/json"
    )
    httpserver.expect_request("/ok.xml").respond_with_data(
        '<rss version="2.0"><channel><title>t</title><item><title>acme ok</title>'
        "<link>https://ok.example/1</link></item></channel></rss>",
        content_type="application/rss+xml",
    )
    sources = [
        {"name": "feed", "type": "feed", "url": httpserver.url_for("/feed.json")},
        {"name": "hn", "type": "hackernews", "base_url": httpserver.url_for("/hn"), "rate_per_minute": 6000},
        {"name": "lemmy", "type": "lemmy", "instance": httpserver.url_for("/lemmy"), "rate_per_minute": 6000},
        {"name": "ok", "type": "feed", "url": httpserver.url_for("/ok.xml")},
    ]
    result = cli("fetch", "--config", str(write_config({"acme": "acme"}, sources)), "--format", "json")
    assert result.exit_code == 3
    # Each error line, without the query string of the API's URL.
    lines = [
        re.sub(r"\?[^:]*", "", line) for line in result.stderr.splitlines() if line.startswith("Error: ")
    ]
    assert lines == [
        f"Error: feed: {httpserver.url_for('/feed.json')}: not a feed (JSON nested too deeply to read)",
        f"Error: hn: {httpserver.url_for('/hn/api/v1/search_by_date')}: "
        "Hacker News search answered with JSON nested too deeply to read",
        f"Error: lemmy: {httpserver.url_for('/lemmy/api/v3/search')}: "
        "response is JSON nested too deeply to read",
    ]
    assert "RecursionError" not in result.stderr and "internal error" not in result.stderr
    assert '"title": "acme ok"' in result.stdout
