"""The `youtube` source against a server on 127.0.0.1: the Data API v3 search, and a channel feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import FAST, SETTINGS, asked, fixture_bytes, fixture_json, params, stored_state

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

SEARCH = "/yt/youtube/v3/search"
ANSWER = "youtube/youtube_data_api_2026_godaily.json"  # a real searchListResponse (one Go talk)
CHANNEL = "youtube/youtube_channel_videos_xml_2024_prof18.xml"  # Kotlin by JetBrains' feed, 2024
KEY = "AIzaSy-test-key-0123456789"
# The API's real quota error body (its documented `errors[].reason`)
QUOTA = {
    "error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your quota.",
        "errors": [{"message": "exceeded your quota.", "domain": "youtube.quota", "reason": "quotaExceeded"}],
    }
}


@pytest.fixture
def config(httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("YT_KEY", KEY)

    def make(queries: dict[str, str], settings: dict[str, Any] | None = None, **options: Any) -> Path:
        source = {
            "name": "yt",
            "type": "youtube",
            "base_url": httpserver.url_for("/yt"),
            "rate_per_minute": FAST,
        }
        source.update(options or {"key_env": "YT_KEY"})
        return write_config(queries, [source], settings={**SETTINGS, **(settings or {})})

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_a_word_and_a_tag_query_search_newest_first_then_only_what_is_newer(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture_json(ANSWER))
    path = config({"go": "concurrency -rust", "talks": "tag:gophercon OR tag:golang"})

    first = fetch(cli, path)

    assert first.exit_code == 0, first.stderr
    (video,) = json.loads(first.stdout)
    assert video["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert (video["title"], video["author"]) == ("Go Concurrency Patterns", "GopherCon")
    assert video["author_url"] == "https://www.youtube.com/channel/UCx0L2ZdYfiq-tsAXb8IXpQg"
    searches = sorted((params(r) for r in asked(httpserver)), key=lambda p: p["q"])
    assert [p["q"] for p in searches] == ["#gophercon | #golang", "concurrency -rust"]
    assert searches[0] | {"q": ""} == {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "q": "",
        "maxResults": "50",
        "key": KEY,
    }
    assert stored_state(path, "task:yt\x1fgo")["cursors"] == {"": "2024-04-25T14:00:00Z"}

    again = fetch(cli, path)

    assert again.exit_code == 0 and json.loads(again.stdout) == []
    later = [params(r) for r in asked(httpserver)][2:]
    assert {p["publishedAfter"] for p in later} == {"2024-04-25T13:00:00Z"}  # less an hour for indexing
    assert KEY not in first.stderr + again.stderr


def test_max_age_days_bounds_the_first_search(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(SEARCH).respond_with_json({"items": []})

    assert fetch(cli, config({"go": "golang"}, {"max_age_days": 2})).exit_code == 0

    assert "publishedAfter" in params(asked(httpserver)[0])


def test_a_used_up_quota_stops_the_source_until_it_resets(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(QUOTA, status=403)
    path = config({"go": "golang"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "YouTube's daily API quota is used up (each search costs 100 of 10,000 units): the source " in (
        result.stderr
    )
    again = fetch(cli, path)
    assert len(asked(httpserver)) == 1
    assert "Warning: yt: rate limited by the site: skipped until " in again.stderr
    assert KEY not in result.stderr


def test_a_missing_key_stops_before_any_request(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("YT_KEY")

    result = fetch(cli, config({"go": "golang"}))

    assert result.exit_code != 0
    assert "environment variable YT_KEY is not set (a YouTube Data API v3 key)" in result.stderr
    assert asked(httpserver) == []


def test_a_refused_key_says_what_to_check(cli: Cli, httpserver: HTTPServer, config) -> None:
    bad = {"error": {"code": 400, "errors": [{"reason": "keyInvalid"}]}}
    httpserver.expect_request(SEARCH).respond_with_json(bad, status=403)

    result = fetch(cli, config({"go": "golang"}))

    assert result.exit_code == 3
    assert "check that $YT_KEY holds a YouTube Data API v3 key" in result.stderr


def test_a_channel_feed_needs_no_key_and_is_matched_here(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(
        "/yt/feeds/videos.xml", query_string="channel_id=UCP7uiEZIqci43m22KDl0sNw"
    ).respond_with_data(fixture_bytes(CHANNEL), content_type="application/atom+xml")
    path = config(
        {"interp": '"string interpolation"', "other": "java"}, channel_id="UCP7uiEZIqci43m22KDl0sNw"
    )

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (video,) = json.loads(result.stdout)
    assert video["url"] == "https://www.youtube.com/watch?v=ULBuIB9lHkc"
    assert (video["author"], video["queries"]) == ("Kotlin by JetBrains", ["interp"])
    assert len(asked(httpserver)) == 1  # one feed for every query


def test_search_and_feeds_together_each_run_once(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture_json(ANSWER))
    for key in ("channel_id", "playlist_id"):
        httpserver.expect_request("/yt/feeds/videos.xml", query_string=f"{key}=X{key}").respond_with_data(
            fixture_bytes(CHANNEL), content_type="application/atom+xml"
        )
    path = config(
        {"a": "golang", "b": "kotlin"}, key_env="YT_KEY", channel_id="Xchannel_id", playlist_id="Xplaylist_id"
    )

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    assert sorted(r.path for r in asked(httpserver)) == [*["/yt/feeds/videos.xml"] * 2, *[SEARCH] * 2]


def test_a_source_without_a_way_to_ask_is_a_config_error(cli: Cli, write_config) -> None:
    result = fetch(cli, write_config({"go": "golang"}, [{"name": "yt", "type": "youtube"}]))

    assert result.exit_code == 2
    assert "give 'key_env' (search), or 'channel_id' or 'playlist_id' (a feed)" in result.stderr


def test_a_429_fails_the_source_until_retry_after(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(SEARCH).respond_with_json({}, status=429, headers={"Retry-After": "600"})
    path = config({"go": "golang"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 600 s" in result.stderr
    again = fetch(cli, path)
    assert len(asked(httpserver)) == 1
    assert "Warning: yt: rate limited by the site: skipped until " in again.stderr
