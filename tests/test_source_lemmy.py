"""The `lemmy` source against a server on 127.0.0.1 replaying a real lemmy.world search answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params, stored

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

SEARCH = "lemmy/lemmy_api_v3_search_linux_2026-09_trimmed.json"  # GET /api/v3/search?q=linux, trimmed


def answer() -> dict:
    data = fixture_json(SEARCH)
    # the recording dropped the creators' actor_id; a real answer carries it
    data["posts"][0]["creator"]["actor_id"] = "https://lemmy.sdf.org/u/ExtremeDullard"
    data["comments"][0]["creator"].update(actor_id="https://lemmy.world/u/dohpaz42", display_name="Doh")
    return data


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: object) -> Path:
        source = {"name": "lem", "type": "lemmy", "instance": httpserver.url_for("/lemmy")}
        source.update(rate_per_minute=FAST, **options)
        return write_config(queries, [source])

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_search_asks_newest_posts_and_comments_and_maps_every_field(
    cli: Cli, httpserver: HTTPServer, config
) -> None:

    httpserver.expect_request("/lemmy/api/v3/search").respond_with_json(answer())
    path = config({"linux": "(linux OR torvalds) -windows"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    # Lemmy's search takes bare words: one search per alternative; the exclusion is ours to apply.
    assert [params(r) for r in asked(httpserver)] == [
        {"q": q, "type_": "All", "sort": "New", "listing_type": "All", "limit": "50"}
        for q in ("linux", "torvalds")
    ]
    records = {r["url"]: r for r in json.loads(result.stdout)}
    # the Wine post says "Windows": excluded by our matcher, whatever the site returned
    assert sorted(records) == ["https://lemmy.sdf.org/post/1322164", "https://lemmy.world/comment/5862081"]
    post = records["https://lemmy.sdf.org/post/1322164"]
    post.pop("id"), post.pop("found_at")
    assert post == {
        "url": "https://lemmy.sdf.org/post/1322164",
        "title": "Here's all the source code",
        "snippet": (
            'In 2000, I wrote a **Linux** device driver that "decrypted" the output of a '
            '[certain device](https://example.org). > The "encryption" was only a XOR'
        ),
        "author": "ExtremeDullard",
        "author_url": "https://lemmy.sdf.org/u/ExtremeDullard",
        "author_email": None,
        "published": "2023-07-27T04:23:45Z",
        "source": "lem",
        "source_type": "lemmy",
        "queries": ["linux"],
        "status": "new",
        "link": None,
        "related": [],
    }
    comment = records["https://lemmy.world/comment/5862081"]
    assert comment["title"] == "Comment on Linus does not fuck around"
    assert comment["snippet"].startswith("I feel it's equally important to point out that Torvalds")
    assert (comment["author"], comment["author_url"]) == ("Doh", "https://lemmy.world/u/dohpaz42")
    assert comment["published"] == "2023-12-07T03:07:47Z"
    assert "lem: 6 entries, 4 matched, 2 new, 2 not a match" in result.stderr
    keys = {m.url: m for m in stored(path)}
    assert "n:https://lemmy.sdf.org/post/1322164" in keys["https://lemmy.sdf.org/post/1322164"].keys
    assert keys["https://lemmy.sdf.org/post/1322164"].tags == ("maliciouscompliance",)


def test_a_link_post_counts_its_link_as_text(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/lemmy/api/v3/search").respond_with_json(answer())
    path = config({"xda": "xda"})

    [record] = json.loads(fetch(cli, path).stdout)

    assert record["url"] == "https://lemmy.world/post/44699522"
    assert (
        record["snippet"]
        == "https://www.xda-developers.com/wine-11-rewrites-linux-runs-windows-games-speed-gains/"
    )
    assert record["author"] == "monica_b1998" and record["author_url"] is None


def test_a_query_with_nothing_lemmy_can_search_is_a_warning(cli: Cli, httpserver: HTTPServer, config) -> None:
    path = config({"mine": "site:acme.example"})

    result = fetch(cli, path)

    assert result.exit_code == 0
    assert asked(httpserver) == []
    assert "Warning: lem: query 'mine' not asked: it has no words Lemmy can search for" in result.stderr


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_fails_the_source_and_says_what_to_do(
    cli: Cli, httpserver: HTTPServer, config, status: int
) -> None:
    httpserver.expect_request("/lemmy/api/v3/search").respond_with_json(
        {"error": "not_logged_in"}, status=status
    )
    path = config({"linux": "linux"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert f"(HTTP {status}): this Lemmy instance refuses logged-out search: set instance to another one" in (
        result.stderr
    )


def test_rate_limited_the_source_fails_then_waits_its_turn(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/lemmy/api/v3/search").respond_with_json(
        {"error": "rate_limit_error"}, status=429, headers={"Retry-After": "600"}
    )
    path = config({"linux": "linux"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 600 s" in result.stderr
    assert len(asked(httpserver)) == 1
    assert "skipped until" in again.stderr
