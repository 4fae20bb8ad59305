"""The `devto` source against a server on 127.0.0.1 replaying a real dev.to API answer."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params, stored, stored_state

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

ARTICLES = "devto/devto_api_articles_tag_go_2026_godaily.json"  # GET /api/articles?tag=go&top=1
ACCEPT = "application/vnd.forem.api-v1+json"


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: object) -> Path:
        source = {"name": "dev", "type": "devto", "base_url": httpserver.url_for("/forem")}
        source.update(rate_per_minute=FAST, **options)
        return write_config(queries, [source])

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_a_tag_query_asks_the_tag_listing_for_the_days_since_the_last_run(
    cli: Cli, httpserver: HTTPServer, config
) -> None:

    httpserver.expect_request("/forem/api/articles").respond_with_json(fixture_json(ARTICLES))
    path = config({"go": "tag:go"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)
    assert params(request) == {"tag": "go", "top": "7", "per_page": "100"}
    assert request.headers["Accept"] == ACCEPT
    assert request.headers["User-Agent"].startswith("mentionscan/")
    records = {r["url"]: r for r in json.loads(result.stdout)}
    assert len(records) == 3
    first = records[
        "https://dev.to/ahmedraza_fyntune/building-a-crud-api-in-go-with-postgresql-step-by-step-2n34"
    ]
    assert re.fullmatch(r"[0-9a-f]{12}", first.pop("id"))
    first.pop("found_at")
    assert first == {
        "url": "https://dev.to/ahmedraza_fyntune/building-a-crud-api-in-go-with-postgresql-step-by-step-2n34",
        "title": "🚀 Building a CRUD API in Go with PostgreSQL (Step-by-Step)",
        "snippet": (
            "In the previous post, we built a simple CRUD API in Go using in-memory storage. "
            "Now let’s make it..."
        ),
        "author": "Ahmed Raza Idrisi",
        "author_url": "https://dev.to/ahmedraza_fyntune",
        "author_email": None,
        "published": "2026-04-27T11:09:38Z",
        "source": "dev",
        "source_type": "devto",
        "queries": ["go"],
        "status": "new",
        "link": None,
        "related": [],
    }
    mention = next(m for m in stored(path) if m.url == first["url"])
    assert "n:devto:3557048" in mention.keys
    assert mention.tags == ("webdev", "programming", "go", "ai")

    httpserver.clear_log()
    assert fetch(cli, path).exit_code == 0
    [again] = asked(httpserver)
    assert params(again) == {"tag": "go", "top": "1", "per_page": "100"}  # last run was today


def test_word_queries_read_the_newest_articles_once_and_keep_only_matches(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/forem/api/articles/latest").respond_with_json(fixture_json(ARTICLES))
    path = config({"pg": "postgresql", "planner": 'title:"hangout planner"'})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)  # one listing serves both queries
    assert params(request) == {"per_page": "100", "page": "1"}
    assert request.headers["Accept"] == ACCEPT
    records = json.loads(result.stdout)
    assert sorted((r["queries"][0], r["author"], r["author_url"]) for r in records) == [
        ("pg", "Ahmed Raza Idrisi", "https://dev.to/ahmedraza_fyntune"),
        ("planner", "Meat Boy", "https://dev.to/meatboy"),
    ]
    assert "dev: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    assert stored_state(path, "task:dev\x1f*newest") == {"cursors": {"": "2026-04-27T11:09:38Z"}}


def test_the_next_run_pages_back_only_as_far_as_the_last_seen_article(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    articles = fixture_json(ARTICLES)
    newer = copy.deepcopy(articles[0])
    newer.update(
        id=3560000,
        title="Acme PostgreSQL tips",
        url="https://dev.to/ahmedraza_fyntune/acme-postgresql-tips-1abc",
        published_at="2026-04-28T09:00:00Z",
    )
    httpserver.expect_ordered_request("/forem/api/articles/latest").respond_with_json(articles)
    httpserver.expect_ordered_request("/forem/api/articles/latest").respond_with_json([newer])
    httpserver.expect_ordered_request("/forem/api/articles/latest").respond_with_json(articles)
    path = config({"pg": "postgresql"})

    assert fetch(cli, path).exit_code == 0
    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    assert [params(r)["page"] for r in asked(httpserver)] == ["1", "1", "2"]
    assert [r["title"] for r in json.loads(again.stdout)] == ["Acme PostgreSQL tips"]
    # page 2 reached the last run's newest article: the two older ones are not even counted
    assert "dev: 2 entries, 2 matched, 1 new" in again.stderr


def test_a_refusal_fails_the_source_and_names_the_user_agent(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/forem/api/articles").respond_with_data("", status=403)
    path = config({"go": "tag:go"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "Error: dev:" in result.stderr
    assert (
        "access refused (HTTP 403): dev.to refuses some clients: check [settings] user_agent" in result.stderr
    )


def test_a_401_also_fails_the_source(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/forem/api/articles/latest").respond_with_data("", status=401)
    path = config({"pg": "postgresql"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "the server wants credentials (HTTP 401)" in result.stderr


def test_rate_limited_the_source_fails_then_waits_its_turn(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/forem/api/articles/latest").respond_with_data(
        "Retry later", status=429, headers={"Retry-After": "300"}
    )
    path = config({"pg": "postgresql"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 300 s" in result.stderr
    assert len(asked(httpserver)) == 1
    assert "skipped until" in again.stderr
