"""The `wordpress` source against a server on 127.0.0.1: WordPress.com's Reader API, and one site.

../shared/ has no Reader fixture ("No fixture found", SOURCES.md §9d): the answers are built
field by field from SOURCES.md's description of `read/tags/{tag}/posts` (ID, site_ID, author
with name and profile_URL, date with its offset, HTML title and excerpt, URL, tags keyed by
name). The self-hosted site's feeds are WordPress core's RSS 2.0 (`/tag/{tag}/feed/`,
`/?s=...&feed=rss2`), as the feed tests' documents are.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.timeutil import utcnow
from tests.conftest import Cli
from tests.searchtools import FAST, SETTINGS, asked, params, stored_state

POSTS = "/wp/rest/v1.1/read/tags/office2007question/posts"


def post(number: int, hours_ago: float, title: str = "Help with Office 2007") -> dict[str, Any]:
    when = (utcnow() - timedelta(hours=hours_ago)).astimezone().isoformat(timespec="seconds")
    return {
        "ID": 100 + number,
        "site_ID": 5550001,
        "author": {
            "ID": 9,
            "login": "jdoe",
            "email": False,
            "name": "Jane Doe",
            "nice_name": "jdoe",
            "URL": "https://jdoe.example",
            "avatar_URL": "https://0.gravatar.com/avatar/x",
            "profile_URL": "https://gravatar.com/jdoe",
        },
        "date": when,
        "modified": when,
        "title": f"{title} &#8211; part {number}",
        "URL": f"https://jdoe.wordpress.com/2026/12/01/help-{number}/",
        "short_URL": f"https://wp.me/p1-{number}",
        "content": "<p>Long text.</p>",
        "excerpt": f"<p>My <strong>#office2007question</strong> number {number}.</p>\n",
        "slug": f"help-{number}",
        "tags": {"office2007question": {"ID": 1, "name": "office2007question", "slug": "office2007question"}},
        "site_URL": "https://jdoe.wordpress.com",
        "site_name": "Jane's notes",
    }


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], settings: dict[str, Any] | None = None, **options: Any) -> Path:
        source = {
            "name": "wp",
            "type": "wordpress",
            "base_url": httpserver.url_for("/wp"),
            "rate_per_minute": FAST,
        }
        return write_config(queries, [{**source, **options}], settings={**SETTINGS, **(settings or {})})

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_a_tag_query_asks_the_reader_and_the_next_run_only_what_is_newer(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(POSTS).respond_with_json({"found": 2, "posts": [post(2, 1), post(1, 5)]})
    path = config({"support": "tag:office2007question", "words": "office"})

    first = fetch(cli, path)

    assert first.exit_code == 0, first.stderr
    assert "query 'words' not asked: WordPress.com's Reader lists posts by tag only" in first.stderr
    found = {r["url"]: r for r in json.loads(first.stdout)}
    newest = found["https://jdoe.wordpress.com/2026/12/01/help-2/"]
    assert newest["title"] == "Help with Office 2007 – part 2"
    assert newest["snippet"] == "My #office2007question number 2."
    assert (newest["author"], newest["author_url"]) == ("Jane Doe", "https://gravatar.com/jdoe")
    cursor = stored_state(path, "task:wp\x1fsupport")["cursors"]["#office2007question"]

    again = fetch(cli, path)

    assert again.exit_code == 0 and json.loads(again.stdout) == []
    reader = [params(r) for r in asked(httpserver) if r.path == POSTS]
    assert reader[0] == {"number": "40", "order": "DESC"}
    assert reader[1]["after"] <= cursor and set(reader[1]) == {"number", "order", "after"}


def test_max_age_days_bounds_the_first_run(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(POSTS).respond_with_json({"posts": []})

    assert fetch(cli, config({"support": "tag:office2007question"}, {"max_age_days": 3})).exit_code == 0

    (request,) = asked(httpserver)
    assert "after" in params(request)


@pytest.mark.parametrize(("status", "said"), [(403, "refused"), (429, "rate limited (HTTP 429)")])
def test_a_refusal_or_a_429_fails_the_source(
    cli: Cli, httpserver: HTTPServer, config, status: int, said: str
) -> None:
    httpserver.expect_request(POSTS).respond_with_json({"error": "nope"}, status=status)

    result = fetch(cli, config({"support": "tag:office2007question"}))

    assert result.exit_code == 3
    assert said in result.stderr


def test_a_block_page_instead_of_json_fails_the_source(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(POSTS).respond_with_data(
        "<!doctype html><p>blocked</p>", content_type="text/html"
    )

    result = fetch(cli, config({"support": "tag:office2007question"}))

    assert result.exit_code == 3
    assert "not JSON" in result.stderr


SITE_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Acme Blog</title><link>https://blog.example</link><language>en-US</language>
<generator>https://wordpress.org/?v=6.7</generator>
<item><title>{title}</title><link>https://blog.example/{slug}/</link>
<dc:creator><![CDATA[admin]]></dc:creator><pubDate>Tue, 01 Dec 2026 08:00:00 +0000</pubDate>
<category><![CDATA[{cat}]]></category><guid isPermaLink="false">https://blog.example/?p={n}</guid>
<description><![CDATA[{text}]]></description></item>
</channel></rss>"""


def test_one_site_reads_its_tag_feed_and_its_search_feed(cli: Cli, httpserver: HTTPServer, config) -> None:
    tagged = SITE_FEED.format(
        title="Reset help", slug="reset", n=1, text="How to reset a widget", cat="acmequestion"
    )
    searched = SITE_FEED.format(
        title="Acme review", slug="review", n=2, text="Acme widgets, a year on", cat="reviews"
    )
    httpserver.expect_request("/wp/tag/acmequestion/feed/").respond_with_data(
        tagged, content_type="application/rss+xml"
    )
    httpserver.expect_request("/wp/", query_string="s=acme+widgets&feed=rss2").respond_with_data(
        searched, content_type="application/rss+xml"
    )
    path = config({"support": "tag:acmequestion", "brand": '"acme widgets"'}, site="https://blog.example")

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    found = {r["url"]: r["queries"] for r in json.loads(result.stdout)}
    assert found == {"https://blog.example/reset/": ["support"], "https://blog.example/review/": ["brand"]}
    assert not any(r.path.startswith("/wp/rest/") for r in asked(httpserver))


def test_a_tag_the_site_lacks_is_a_warning(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/wp/tag/nothing/feed/").respond_with_data("", status=404)

    result = fetch(cli, config({"x": "tag:nothing"}, site="https://blog.example"))

    assert result.exit_code == 0
    assert "the WordPress site has no feed /tag/nothing/feed/: query 'x' asks nothing there" in result.stderr


def test_site_must_be_a_url(cli: Cli, config) -> None:
    result = fetch(cli, config({"x": "tag:a"}, site="blog.example"))

    assert result.exit_code == 2
    assert "'site' must be an http:// or https:// URL, not 'blog.example'" in result.stderr
