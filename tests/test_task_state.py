"""`TaskState`: what a task keeps between runs, read from every shape an older version stored.

The old shapes below are the ones versions before the typed state wrote (one ISO `cursor`;
`min_id`/`search_min_id`/`since` tables per tag or search; `newest`/`fetched_at`): a database
that holds them must go on from where it was, not start again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.sources.interface import TaskResult, TaskState
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params, stored_state

OLD_SHAPES: list[tuple[dict[str, Any], dict[str, str]]] = [
    # hackernews, reddit, google_news, bing_news, stackexchange, github: one time per query
    ({"cursor": "2026-04-26T18:40:36Z"}, {"": "2026-04-26T18:40:36Z"}),
    # devto and lobsters: the newest article of the shared listing; devto's tag listings: the last run
    ({"newest": "2026-04-27T11:09:38Z"}, {"": "2026-04-27T11:09:38Z"}),
    ({"fetched_at": "2026-04-28T06:00:00Z"}, {"": "2026-04-28T06:00:00Z"}),
    # mastodon: the newest status id per hashtag, and per search
    ({"min_id": {"hoot": "117020593741189701"}}, {"#hoot": "117020593741189701"}),
    ({"search_min_id": {"acme -careers": "103270115826048975"}}, {"acme -careers": "103270115826048975"}),
    # bluesky: the newest post's time per search
    ({"since": {"kay": "2025-02-07T20:21:22Z"}}, {"kay": "2025-02-07T20:21:22Z"}),
    # a query that went from tags to words kept both tables: both are read, apart
    (
        {"min_id": {"acme": "1"}, "search_min_id": {"acme": "2"}},
        {"#acme": "1", "acme": "2"},
    ),
    # a feed: validators only
    ({"etag": '"v1"', "last_modified": "Mon, 23 Nov 2026 07:00:00 GMT"}, {}),
    # what cannot be read is left out, never an error
    ({"cursor": 17, "min_id": ["x"], "since": {"a": None, "b": True}}, {"": "17"}),
    ({}, {}),
]


@pytest.mark.parametrize(("old", "cursors"), OLD_SHAPES)
def test_every_old_shape_is_read(old: dict[str, Any], cursors: dict[str, str]) -> None:
    state = TaskState.from_dict(old)

    assert dict(state.cursors) == cursors
    assert state.etag == old.get("etag")
    assert state.last_modified == old.get("last_modified")


def test_the_new_shape_round_trips_and_keeps_validators_at_the_top() -> None:
    state = TaskState(cursors={"": "2026-01-01T00:00:00Z"}, etag='"e"', moved_to="https://x.example/f")

    data = state.to_dict()

    # `etag` and `last_modified` stay where every version has kept them
    assert data == {"cursors": {"": "2026-01-01T00:00:00Z"}, "etag": '"e"', "moved_to": "https://x.example/f"}
    assert TaskState.from_dict(data) == state
    assert TaskState().to_dict() == {}
    assert TaskState.KIND == "task"


def test_after_a_run() -> None:
    old = TaskState(cursors={"a": "1", "b": "2"}, etag='"old"', last_modified="Mon", moved_to="https://m")

    # no cursors said: kept; a 304 without validators: the old ones kept
    assert old.after(TaskResult(not_modified=True)) == old
    # cursors said: they replace the old ones (a tag no longer asked is forgotten)
    assert old.after(TaskResult(cursors={"a": "3"}, not_modified=True)).cursors == {"a": "3"}
    # a 200 replaces the validators, with none when it sent none
    fresh = old.after(TaskResult(validators={"etag": '"new"'}))
    assert (fresh.etag, fresh.last_modified, fresh.moved_to) == ('"new"', None, "https://m")
    assert old.after(TaskResult()).validators == {}
    assert old.after(TaskResult(moved_to="https://n")).moved_to == "https://n"


# --- an old database goes on from its cursors -------------------------------------------------


def write_old_state(config: Path, name: str, value: dict[str, Any]) -> None:
    with open_store(config.parent / "mentions.json") as store:
        store.set_state(name, value)
        store.save()


def site(httpserver: HTTPServer, name: str, kind: str, prefix: str, **options: Any) -> dict[str, Any]:
    """A `[[sources]]` table of `kind` whose base_url is `prefix` on the test server."""
    return {
        "name": name,
        "type": kind,
        "base_url": httpserver.url_for(prefix),
        "rate_per_minute": FAST,
        **options,
    }


def fetch(cli: Cli, config: Path) -> Any:
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result


def test_an_old_hackernews_cursor_bounds_the_next_search(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/hn/api/v1/search_by_date").respond_with_json({"hits": [], "nbPages": 0})
    source = site(httpserver, "hn", "hackernews", "/hn")
    path = write_config({"go": "golang"}, [source])
    write_old_state(path, "task:hn\x1fgo", {"cursor": "2026-04-26T18:40:36Z"})

    fetch(cli, path)

    assert params(asked(httpserver)[0])["numericFilters"] == f"created_at_i>{1777228836 - 3600}"
    assert stored_state(path, "task:hn\x1fgo") == {"cursors": {"": "2026-04-26T18:40:36Z"}}


def test_old_mastodon_tables_give_min_id_per_hashtag_and_per_search(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "t")
    httpserver.expect_request("/m/api/v1/timelines/tag/hoot").respond_with_json([])
    httpserver.expect_request("/m/api/v2/search").respond_with_json({"statuses": []})
    source = {"name": "masto", "type": "mastodon", "instance": httpserver.url_for("/m")}
    source.update(rate_per_minute=FAST, token_env="MASTO_TOKEN")
    path = write_config({"support": "tag:hoot", "acme": "acme"}, [source])
    write_old_state(path, "task:masto\x1fsupport", {"min_id": {"hoot": "117020593741189701"}})
    write_old_state(path, "task:masto\x1facme", {"search_min_id": {"acme": "103270115826048975"}})

    fetch(cli, path)

    by_path = {r.path: params(r) for r in asked(httpserver)}
    assert by_path["/m/api/v1/timelines/tag/hoot"]["min_id"] == "117020593741189701"
    assert by_path["/m/api/v2/search"]["min_id"] == "103270115826048975"
    # an empty answer keeps each cursor, now in the one shape
    assert stored_state(path, "task:masto\x1fsupport") == {"cursors": {"#hoot": "117020593741189701"}}
    assert stored_state(path, "task:masto\x1facme") == {"cursors": {"acme": "103270115826048975"}}


def test_an_old_bluesky_table_gives_since_per_search(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch
) -> None:
    monkeypatch.setenv("BSKY_PW", "pw")
    httpserver.expect_request("/b/xrpc/com.atproto.server.createSession").respond_with_json(
        {"accessJwt": "j"}
    )
    httpserver.expect_request("/b/xrpc/app.bsky.feed.searchPosts").respond_with_json({"posts": []})
    source = site(httpserver, "sky", "bluesky", "/b", handle="me.test", app_password_env="BSKY_PW")
    path = write_config({"kay": "kay"}, [source])
    write_old_state(path, "task:sky\x1fkay", {"since": {"kay": "2025-02-07T20:21:22Z"}})

    fetch(cli, path)

    [search] = [r for r in asked(httpserver) if r.path.endswith("searchPosts")]
    assert params(search)["since"] == "2025-02-07T20:21:22Z"


@pytest.mark.parametrize(("old", "top"), [({"fetched_at": "old"}, "7"), ({}, "7")])
def test_an_old_devto_tag_state_that_cannot_be_read_is_a_first_run(
    cli: Cli, httpserver: HTTPServer, write_config, old: dict[str, Any], top: str
) -> None:
    httpserver.expect_request("/d/api/articles").respond_with_json([])
    source = site(httpserver, "dev", "devto", "/d")
    path = write_config({"go": "tag:go"}, [source])
    write_old_state(path, "task:dev\x1fgo", old)

    fetch(cli, path)

    assert params(asked(httpserver)[0])["top"] == top


def test_old_listing_cursors_stop_the_paging_there(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    stories = fixture_json("lobsters/lobsters_t_go_json_2026-04_godaily.json")
    httpserver.expect_request("/lob/newest.json").respond_with_json(stories)
    source = site(httpserver, "lob", "lobsters", "/lob")
    path = write_config({"tables": "swiss*"}, [source])
    # the newest story of the listing was seen last time: nothing before it is read again
    write_old_state(path, "task:lob\x1f*newest", {"newest": "2026-04-26T14:19:13Z"})

    result = fetch(cli, path)

    assert [r.path for r in asked(httpserver)] == ["/lob/newest.json"]
    assert "lob: 1 entry, 1 matched, 1 new" in result.stderr
    assert stored_state(path, "task:lob\x1f*newest") == {"cursors": {"": "2026-04-26T14:19:13Z"}}


def test_an_old_feed_state_sends_its_validators(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data("", status=304)
    path = write_config(
        {"acme": "acme"}, [{"name": "blog", "type": "feed", "url": httpserver.url_for("/feed.xml")}]
    )
    write_old_state(path, "task:blog", {"etag": '"v1"', "last_modified": "Mon, 23 Nov 2026 07:00:00 GMT"})

    result = fetch(cli, path)

    [request] = asked(httpserver)
    assert request.headers["If-None-Match"] == '"v1"'
    assert request.headers["If-Modified-Since"] == "Mon, 23 Nov 2026 07:00:00 GMT"
    assert "blog: not modified" in result.stderr
    assert stored_state(path, "task:blog") == {
        "etag": '"v1"',
        "last_modified": "Mon, 23 Nov 2026 07:00:00 GMT",
    }
