"""The `mastodon` source against a server on 127.0.0.1 replaying real Mastodon API answers."""

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

HOOT = "mastodon/timelines_tag_hoot_mastodonpy_cassette.json"  # GET /api/v1/timelines/tag/hoot, 4.6.4
STATUS = "mastodon/status_entity_docs_example.json"  # the Status entity from Mastodon's docs
EMPTY_SEARCH = "mastodon/search_v2_type_statuses_empty_mastodonpy_cassette.json"
HOOT_URI = "http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: object) -> Path:
        source = {"name": "masto", "type": "mastodon", "instance": httpserver.url_for("/social")}
        source.update(rate_per_minute=FAST, **options)
        return write_config(queries, [source])

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_a_tag_query_reads_the_hashtag_timeline_and_maps_every_field(
    cli: Cli, httpserver: HTTPServer, config
) -> None:

    httpserver.expect_request("/social/api/v1/timelines/tag/hoot").respond_with_json(fixture_json(HOOT))
    path = config({"support": "tag:hoot"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)
    assert params(request) == {"limit": "40"}
    assert "Authorization" not in request.headers  # no token configured: none sent
    assert request.headers["User-Agent"].startswith("mentionscan/")
    [record] = json.loads(result.stdout)
    assert re.fullmatch(r"[0-9a-f]{12}", record.pop("id"))
    assert ISO.match(record.pop("found_at"))
    assert record == {
        "url": "http://localhost:3000/@mastodonpy_test_2/117020593741189701",
        "title": "#hoot (hashtag toot)",
        "snippet": "#hoot (hashtag toot)",
        "author": "mastodonpy_test_2",  # no display_name: the acct
        "author_url": "http://localhost:3000/@mastodonpy_test_2",
        "author_email": None,
        "published": "2026-08-01T13:55:55Z",
        "source": "masto",
        "source_type": "mastodon",
        "queries": ["support"],
        "status": "new",
        "link": None,
        "related": [],
    }
    [mention] = stored(path)
    assert f"n:{HOOT_URI}" in mention.keys  # deduplicated on the ActivityPub uri, across instances
    assert mention.tags == ("hoot",)
    assert "masto: 1 entry, 1 matched, 1 new" in result.stderr


def test_the_next_run_asks_only_for_statuses_newer_than_the_last_seen(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_ordered_request("/social/api/v1/timelines/tag/hoot").respond_with_json(
        fixture_json(HOOT)
    )
    httpserver.expect_ordered_request("/social/api/v1/timelines/tag/hoot").respond_with_json([])
    httpserver.expect_ordered_request("/social/api/v1/timelines/tag/hoot").respond_with_json([])
    path = config({"support": "tag:hoot"})

    assert fetch(cli, path).exit_code == 0
    again = fetch(cli, path)
    third = fetch(cli, path)

    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert third.exit_code == 0
    first, second, last = asked(httpserver)
    assert "min_id" not in params(first)
    assert params(second) == {"limit": "40", "min_id": "117020593741189701"}
    assert params(last)["min_id"] == "117020593741189701"  # an empty answer keeps the cursor
    assert stored_state(path, "task:masto\x1fsupport") == {"cursors": {"#hoot": "117020593741189701"}}


def test_a_word_query_with_a_token_uses_status_search_with_the_bearer_token(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "s3cret-token")
    answer = {"accounts": [], "statuses": [fixture_json(STATUS)], "hashtags": []}
    httpserver.expect_request("/social/api/v2/search").respond_with_json(answer)
    path = config({"money": 'inheritance OR "sort code" -careers'}, token_env="MASTO_TOKEN")

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    requests = asked(httpserver)
    # No OR in Mastodon's search: one search per alternative, the exclusion kept in each.
    assert [params(r) for r in requests] == [
        {"q": "inheritance -careers", "type": "statuses", "resolve": "false", "limit": "40"},
        {"q": '"sort code" -careers', "type": "statuses", "resolve": "false", "limit": "40"},
    ]
    assert all(r.headers["Authorization"] == "Bearer s3cret-token" for r in requests)
    [record] = json.loads(result.stdout)  # the same status from both searches: stored once
    assert record["url"] == "https://mastodon.social/@Gargron/103270115826048975"
    assert record["title"] == '"I lost my inheritance with one wrong digit on my sort code"…'
    # the link's hidden parts (<span class="invisible">) are joined back into one URL
    assert record["snippet"] == (
        '"I lost my inheritance with one wrong digit on my sort code" https://www.theguardian.com/'
        "money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert record["author"] == "Eugen"
    assert record["author_url"] == "https://mastodon.social/@Gargron"
    assert record["published"] == "2019-12-08T03:48:33Z"
    assert record["queries"] == ["money"]
    assert "s3cret-token" not in result.stderr + result.stdout

    httpserver.clear_log()
    assert fetch(cli, path).exit_code == 0
    assert [params(r).get("min_id") for r in asked(httpserver)] == ["103270115826048975"] * 2


def test_a_word_query_without_a_token_is_a_warning_naming_what_to_set(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    path = config({"acme": "acme", "widgets": "widgets", "gadgets": '"acme gadgets"', "more": "more"})

    result = fetch(cli, path)

    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert asked(httpserver) == []
    # Once for the source, not once per query.
    warning = "Warning: masto: queries of words are not asked: Mastodon text search needs an access token"
    assert result.stderr.count(warning) == 1
    assert "set token_env" in result.stderr


def test_spoiler_text_is_the_title_a_boost_is_its_status_and_a_missing_url_falls_back_to_uri(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = fixture_json(STATUS)
    status.update(spoiler_text="Acme &amp; money", url=None)
    boost = copy.deepcopy(fixture_json(STATUS))
    boost.update(
        id="103270115826049000", uri="https://mastodon.social/users/x/statuses/1/activity", reblog=status
    )
    monkeypatch.setenv("MASTO_TOKEN", "t")
    httpserver.expect_request("/social/api/v2/search").respond_with_json({"statuses": [boost]})
    path = config({"acme": "acme"}, token_env="MASTO_TOKEN")

    [record] = json.loads(fetch(cli, path).stdout)

    assert record["url"] == "https://mastodon.social/users/Gargron/statuses/103270115826048975"
    assert record["title"] == "Acme & money"
    assert record["snippet"].startswith('Acme & money "I lost my inheritance')


def test_an_instance_that_wants_a_login_for_hashtags_fails_the_source_and_says_what_to_do(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request("/social/api/v1/timelines/tag/hoot").respond_with_json(
        {"error": "This API requires an authenticated user"}, status=401
    )
    path = config({"support": "tag:hoot"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "Error: masto:" in result.stderr
    assert "the server wants credentials (HTTP 401)" in result.stderr
    assert "logged-in users only: set token_env" in result.stderr
    assert "1 source failed" in result.stderr


def test_a_refused_token_is_named(cli: Cli, httpserver: HTTPServer, config, monkeypatch) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "expired")
    httpserver.expect_request("/social/api/v2/search").respond_with_json({"error": "forbidden"}, status=403)
    path = config({"acme": "acme"}, token_env="MASTO_TOKEN")

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "access refused (HTTP 403): the access token in $MASTO_TOKEN was refused" in result.stderr
    assert "expired" not in result.stderr


def test_rate_limited_the_source_fails_then_waits_its_turn(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/social/api/v1/timelines/tag/hoot").respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "120"}
    )
    path = config({"support": "tag:hoot"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 120 s" in result.stderr
    assert len(asked(httpserver)) == 1  # the second run did not ask
    assert "Warning: masto: rate limited by the site: skipped until" in again.stderr


def test_a_token_variable_that_is_not_set_stops_before_any_request(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    path = config({"acme": "acme"}, token_env="MASTO_TOKEN_UNSET")

    result = fetch(cli, path)

    assert result.exit_code == 2
    assert "environment variable MASTO_TOKEN_UNSET is not set" in result.stderr
    assert asked(httpserver) == []


def test_an_empty_search_answer_is_zero_entries_not_an_error(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "t")
    httpserver.expect_request("/social/api/v2/search").respond_with_json(fixture_json(EMPTY_SEARCH))
    path = config({"acme": "acme"}, token_env="MASTO_TOKEN")

    result = fetch(cli, path)

    assert result.exit_code == 0
    assert "masto: 0 entries, 0 matched, 0 new" in result.stderr


def test_the_token_is_not_sent_on_to_another_host_after_a_redirect(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "s3cret-token")
    other = HTTPServer(host="127.0.0.1")  # another origin: same address, another port
    other.start()
    try:
        other.expect_request("/elsewhere/hoot").respond_with_json(fixture_json(HOOT))
        httpserver.expect_request("/social/api/v1/timelines/tag/hoot").respond_with_data(
            "", status=302, headers={"Location": other.url_for("/elsewhere/hoot")}
        )
        path = config({"support": "tag:hoot"}, token_env="MASTO_TOKEN")

        result = fetch(cli, path)

        assert result.exit_code == 0, result.stderr
        [first] = asked(httpserver)
        assert first.headers["Authorization"] == "Bearer s3cret-token"
        [followed] = [request for request, _ in other.log]
        assert "Authorization" not in followed.headers
        assert len(json.loads(result.stdout)) == 1
    finally:
        other.clear()
        other.stop()
