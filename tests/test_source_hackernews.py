"""The `hackernews` source against a server on 127.0.0.1 replaying real Algolia answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.searchtools import (
    FAST,
    SETTINGS,
    USER_AGENT,
    asked,
    fixture_json,
    params,
    record_id,
    records,
    stored,
    stored_state,
)

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/


PATH = "/hn/api/v1/search_by_date"


def answer() -> dict[str, Any]:
    """A real search_by_date answer (two stories) plus a real comment hit.

    The comment fixture had its `comment_text` dropped by the person who quoted it; a real hit
    carries it (HTML, entities escaped), so it is put back in that shape.
    """
    data = fixture_json("hn_algolia/search_by_date_golang_2026-04_godaily.json")
    comment = fixture_json("hn_algolia/comment_hit_2023.json")
    comment["comment_text"] = "We moved our backend to <i>Golang</i> &amp; never looked back.<p>Really."
    data["hits"].append(comment)
    return data


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **settings: Any) -> Path:
        source = {"name": "hn", "type": "hackernews", "base_url": httpserver.url_for("/hn")}
        source["rate_per_minute"] = FAST
        return write_config(queries, [source], settings={**SETTINGS, **settings})

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_search_request_every_field_and_the_cursor(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer())
    path = config({"go": "golang -java"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (request,) = asked(httpserver)
    assert request.path == PATH
    # first run with max_age_days = 0: no time bound
    assert params(request) == {"query": "golang -java", "tags": "(story,comment)", "hitsPerPage": "100"}
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json"
    got = records(result.stdout)
    # The rustlings story was found by Algolia through its URL only: our matcher drops it.
    assert "hn: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    assert got == {
        "https://news.ycombinator.com/item?id=47901892": {
            "id": record_id("news.ycombinator.com/item?id=47901892"),
            "url": "https://news.ycombinator.com/item?id=47901892",
            "title": "Show HN: SherifDB, a databe written in Golang under 500 LOC",
            "snippet": "Show HN: SherifDB, a databe written in Golang under 500 LOC",
            "author": "Nya-kundi",
            "author_url": "https://news.ycombinator.com/user?id=Nya-kundi",
            "author_email": None,
            "published": "2026-04-25T14:42:42Z",
            "source": "hn",
            "source_type": "hackernews",
            "queries": ["go"],
            "status": "new",
            "link": None,
            "related": [],
        },
        "https://news.ycombinator.com/item?id=9999999": {
            "id": record_id("news.ycombinator.com/item?id=9999999"),
            "url": "https://news.ycombinator.com/item?id=9999999",
            "title": "Re: Why Write Python in Visual Studio?",
            "snippet": "We moved our backend to Golang & never looked back. Really.",
            "author": "tcas",
            "author_url": "https://news.ycombinator.com/user?id=tcas",
            "author_email": None,
            "published": "2015-08-03T21:32:01Z",
            "source": "hn",
            "source_type": "hackernews",
            "queries": ["go"],
            "status": "new",
            "link": None,
            "related": [],
        },
    }
    kept = stored(path)
    assert sorted(kept) == sorted(got)
    comment = kept["https://news.ycombinator.com/item?id=9999999"]
    assert comment.text == "We moved our backend to Golang & never looked back. Really."
    assert "n:hn:9999999" in comment.keys
    assert [m.to_record() | {"found_at": None} for m in kept.values()] == [
        {**got[url], "found_at": None} for url in kept
    ]
    # The cursor is the newest hit seen (the dropped rustlings story, 1777228836).
    assert stored_state(path, "task:hn\x1fgo") == {"cursors": {"": "2026-04-26T18:40:36Z"}}

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    second = asked(httpserver)[1]
    # Only what is new since the newest hit seen, less an hour for late indexing.
    assert params(second)["numericFilters"] == f"created_at_i>{1777228836 - 3600}"
    assert again.stdout.strip() == "[]"
    assert "hn: 3 entries, 2 matched, 0 new, 1 not a match" in again.stderr
    assert len(stored(path)) == 2


def test_first_run_is_bounded_by_max_age_days(cli: Cli, httpserver: HTTPServer, config) -> None:
    import time

    httpserver.expect_request(PATH).respond_with_json(answer())
    before = int(time.time())

    result = fetch(cli, config({"go": "golang"}, max_age_days=14))

    assert result.exit_code == 0, result.stderr
    bound = int(params(asked(httpserver)[0])["numericFilters"].removeprefix("created_at_i>"))
    assert before - 14 * 86400 - 5 <= bound <= int(time.time()) - 14 * 86400
    # every hit of the answer is older than that: the pipeline drops them as too old
    assert "hn: 3 entries, 0 matched, 0 new, 3 too old" in result.stderr


def test_or_is_one_search_per_alternative_and_full_pages_are_followed(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    full = answer()
    story = full["hits"][0]
    # 98 more stories in the same shape, so that the first page is full (100 hits)
    filler = [
        dict(story, objectID=str(1000 + i), title=f"Unrelated story {i}", created_at_i=1777000000 - i)
        for i in range(98)
    ]

    def handler(request: Request) -> Response:
        page = int(request.args.get("page", "0"))
        hits = full["hits"][:2] + filler if page == 0 else full["hits"][2:]
        data = dict(full, nbPages=2, page=page, hitsPerPage=100, hits=hits)
        return Response(json.dumps(data), content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(handler)

    queries = {"go": 'golang OR "visual studio"', "who": "author:pg"}
    result = fetch(cli, config(queries, max_age_days=10000))

    assert result.exit_code == 0, result.stderr
    assert [(params(r)["query"], params(r).get("page")) for r in asked(httpserver)] == [
        ("golang", None),
        ("golang", "1"),
        ('"visual studio"', None),
        ('"visual studio"', "1"),
    ]
    # the same hits came back for both searches: each is counted once
    assert "hn: 101 entries, 2 matched, 2 new, 99 not a match" in result.stderr
    # `author:pg` is nothing Algolia's text search can ask for: said, not silently skipped
    assert (
        "Warning: hn: query 'who' was not asked: it has no term Hacker News can search for" in result.stderr
    )


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_fails_the_source_and_says_what_to_do(
    cli: Cli, httpserver: HTTPServer, config, status: int
) -> None:
    httpserver.expect_request(PATH).respond_with_data("denied", status=status)
    path = config({"go": "golang"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert result.stdout.strip() == "[]"
    assert (
        f"Error: hn: Hacker News search (Algolia) refused the request (HTTP {status}): it needs no key, "
        "so this network is probably blocked: try again later or from another network"
    ) in result.stderr
    assert "1 source failed" in result.stderr


def test_rate_limited_then_skipped_until_the_time_the_site_gave(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(PATH).respond_with_data("slow down", status=429, headers={"Retry-After": "600"})
    path = config({"go": "golang"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "Error: hn: " in result.stderr and "rate limited (HTTP 429), retry after 600 s" in result.stderr

    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1  # not asked again
    assert again.exit_code == 0, again.stderr
    assert "Warning: hn: rate limited by the site: skipped until " in again.stderr


def test_a_web_page_instead_of_json_fails_the_source(cli: Cli, httpserver: HTTPServer, config) -> None:
    page = "<!DOCTYPE html><html><body>Please verify you are human</body></html>"
    httpserver.expect_request(PATH).respond_with_data(page, content_type="text/html")

    result = fetch(cli, config({"go": "golang"}))

    assert result.exit_code == 3
    assert "Hacker News search answered with a web page instead of search results" in result.stderr
