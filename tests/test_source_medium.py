"""The `medium` source against a server on 127.0.0.1 replaying a real Medium tag feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import FAST, SETTINGS, asked, fixture_bytes

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

FEED = "medium/medium_tag_feed_kubernetes_2023_feeddeck.xml"  # medium.com/feed/tag/kubernetes, 2023
RSS = "text/xml; charset=UTF-8"
STORY = (
    "https://blackcatdev.medium.com/securing-the-cloud-a-comprehensive-guide-to-building-a-kubernetes-"
    "threat-model-for-enhanced-e695e24db604"
)


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "md",
            "type": "medium",
            "base_url": httpserver.url_for("/md"),
            "rate_per_minute": FAST,
        }
        return write_config(queries, [{**source, **options}], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_a_tag_query_reads_the_tag_feed_and_a_word_query_asks_nothing(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/md/feed/tag/kubernetes").respond_with_data(
        fixture_bytes(FEED), content_type=RSS
    )
    path = config({"k8s": "tag:Kubernetes security", "words": "kubernetes"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    assert [r.path for r in asked(httpserver)] == ["/md/feed/tag/kubernetes"]
    assert "query 'words' not asked: Medium has feeds by tag only (write tag:name)" in result.stderr
    found = {r["url"]: r for r in json.loads(result.stdout)}
    story = found[STORY]  # the ?source=rss------kubernetes-5 tail is gone
    assert story["author"] == "BlackCatDev"
    assert story["title"].startswith("Securing the Cloud: A Comprehensive Guide")
    assert story["queries"] == ["k8s", "words"]  # what one query brought is matched against every query
    assert all("?source=" not in url for url in found)


def test_a_second_run_stores_nothing_twice(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/md/feed/tag/kubernetes").respond_with_data(
        fixture_bytes(FEED), content_type=RSS
    )
    path = config({"k8s": "tag:kubernetes"})
    first = json.loads(fetch(cli, path).stdout)
    assert len(first) == 2

    again = fetch(cli, path)

    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert len(asked(httpserver)) == 2


def test_a_missing_tag_is_a_warning(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/md/feed/tag/no-such-tag").respond_with_data("", status=404)

    result = fetch(cli, config({"x": "tag:no-such-tag"}))

    assert result.exit_code == 0
    assert "Medium has no tag feed at /feed/tag/no-such-tag: query 'x' asks nothing there" in result.stderr


@pytest.mark.parametrize("status", [200, 403])
def test_a_bot_check_page_says_what_to_do(cli: Cli, httpserver: HTTPServer, config, status: int) -> None:
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf</body></html>"
    httpserver.expect_request("/md/feed/tag/kubernetes").respond_with_data(
        page, status=status, content_type="text/html"
    )

    result = fetch(cli, config({"k8s": "tag:kubernetes"}))

    assert result.exit_code == 3
    assert "Medium's bot check sometimes stops feed readers: try again later or from another network" in (
        result.stderr
    )


def test_a_429_fails_the_source_and_it_waits(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/md/feed/tag/kubernetes").respond_with_data(
        "", status=429, headers={"Retry-After": "600"}
    )
    path = config({"k8s": "tag:kubernetes"})

    assert fetch(cli, path).exit_code == 3
    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1
    assert "Warning: md: rate limited by the site: skipped until " in again.stderr
