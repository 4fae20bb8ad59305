"""The `lobsters` source against a server on 127.0.0.1 replaying a real lobste.rs listing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, stored, stored_state

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

# GET /t/go.json; the recording replaced each story's "url" with "__SERVER_URL__".
STORIES = "lobsters/lobsters_t_go_json_2026-04_godaily.json"


def stories() -> list[dict]:
    data = fixture_json(STORIES)
    data[0]["url"] = "https://example.com/posts/swiss-tables"
    data[2]["url"] = ""  # a text post has no link
    return data


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: object) -> Path:
        source = {"name": "lob", "type": "lobsters", "base_url": httpserver.url_for("/lob")}
        source.update(rate_per_minute=FAST, **options)
        return write_config(queries, [source])

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_tag_queries_read_each_tag_listing_and_map_every_field(
    cli: Cli, httpserver: HTTPServer, config
) -> None:

    httpserver.expect_request("/lob/t/go.json").respond_with_json(stories())
    httpserver.expect_request("/lob/t/debugging.json").respond_with_json(stories()[1:2])
    path = config({"go": "tag:go OR tag:Debugging"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    requests = asked(httpserver)
    assert sorted(r.path for r in requests) == ["/lob/t/debugging.json", "/lob/t/go.json"]
    assert all(not r.args and r.headers["User-Agent"].startswith("mentionscan/") for r in requests)
    records = {r["title"]: r for r in json.loads(result.stdout)}
    assert sorted(records) == [
        "How GitHub uses eBPF to improve deployment safety",
        "Many-Step Sequences in Go",
        "Swissing a table",
    ]
    swiss = records["Swissing a table"]
    swiss.pop("id"), swiss.pop("found_at")
    assert swiss == {
        "url": "https://lobste.rs/s/2lzsw6/swissing_table",  # the discussion
        "title": "Swissing a table",
        "snippet": "https://example.com/posts/swiss-tables",  # the link it points at is its text
        "author": "carlana",
        "author_url": "https://lobste.rs/~carlana",
        "author_email": None,
        "published": "2026-04-26T14:19:13Z",  # -05:00 in the listing
        "source": "lob",
        "source_type": "lobsters",
        "queries": ["go"],
        "status": "new",
        "link": "https://example.com/posts/swiss-tables",
        "related": [],
    }
    assert (
        records["Many-Step Sequences in Go"]["snippet"] == "Many-Step Sequences in Go"
    )  # no text: the title
    mention = next(m for m in stored(path) if m.title == "Swissing a table")
    assert "n:lobsters:2lzsw6" in mention.keys
    assert mention.tags == ("go",)
    assert "lob: 4 entries, 4 matched, 3 new" in result.stderr  # the eBPF story came twice, stored once


def test_a_tag_lobsters_does_not_have_is_a_warning_and_the_other_tags_are_still_read(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/lob/t/go.json").respond_with_json(stories())
    httpserver.expect_request("/lob/t/acmequestion.json").respond_with_data("not found", status=404)
    path = config({"support": "tag:acmequestion OR tag:go"})

    result = fetch(cli, path)

    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 3
    assert "Warning: lob: Lobsters has no tag 'acmequestion' (see lobste.rs/tags): query 'support'" in (
        result.stderr
    )


def test_word_queries_share_the_newest_listing_and_are_matched_here(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/lob/newest.json").respond_with_json(stories())
    path = config({"ebpf": "ebpf", "tables": "swiss* -github"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)
    assert request.path == "/lob/newest.json"
    assert sorted((r["title"], r["queries"][0]) for r in json.loads(result.stdout)) == [
        ("How GitHub uses eBPF to improve deployment safety", "ebpf"),
        ("Swissing a table", "tables"),
    ]
    assert "lob: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    assert stored_state(path, "task:lob\x1f*newest") == {"cursors": {"": "2026-04-26T14:19:13Z"}}


def test_the_next_run_pages_back_to_the_last_seen_story(cli: Cli, httpserver: HTTPServer, config) -> None:
    newer = copy.deepcopy(stories()[0])
    newer.update(short_id="abc123", title="Swiss cheese models", created_at="2026-04-27T08:00:00.000-05:00")
    newer.update(short_id_url="https://lobste.rs/s/abc123", comments_url="https://lobste.rs/s/abc123/swiss")
    httpserver.expect_ordered_request("/lob/newest.json").respond_with_json(stories())
    httpserver.expect_ordered_request("/lob/newest.json").respond_with_json([newer])
    httpserver.expect_ordered_request("/lob/newest/page/2.json").respond_with_json(stories())
    path = config({"tables": "swiss*"})

    assert fetch(cli, path).exit_code == 0
    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    assert [r.path for r in asked(httpserver)] == [
        "/lob/newest.json",
        "/lob/newest.json",
        "/lob/newest/page/2.json",
    ]
    assert [r["title"] for r in json.loads(again.stdout)] == ["Swiss cheese models"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_fails_the_source_and_says_what_to_check(
    cli: Cli, httpserver: HTTPServer, config, status: int
) -> None:
    httpserver.expect_request("/lob/newest.json").respond_with_data("no", status=status)
    path = config({"ebpf": "ebpf"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert f"(HTTP {status}): Lobsters refused the request: check [settings] user_agent" in result.stderr


def test_rate_limited_the_source_fails_then_waits_its_turn(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/lob/t/go.json").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "60"}
    )
    path = config({"go": "tag:go"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 60 s" in result.stderr
    assert len(asked(httpserver)) == 1
    assert "skipped until" in again.stderr
