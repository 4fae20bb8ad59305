"""The `bluesky` source against a server on 127.0.0.1 replaying real Bluesky post views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params, stored, stored_state

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/


# three real postViews (2025-02) in the searchPosts envelope; and the real 403 body
POSTS = "bluesky/searchPosts_assembled_from_real_postViews_2025-02.json"
AUTH_MISSING = "bluesky/error_403_AuthMissing.json"
LOGIN = "/bsky/xrpc/com.atproto.server.createSession"
SEARCH = "/bsky/xrpc/app.bsky.feed.searchPosts"
SESSION = {
    "accessJwt": "access-jwt-1",
    "refreshJwt": "refresh-jwt-1",
    "did": "did:plc:me",
    "handle": "me.test",
}


@pytest.fixture
def config(httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BSKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")

    def make(queries: dict[str, str], **options: object) -> Path:
        source = {"name": "sky", "type": "bluesky", "base_url": httpserver.url_for("/bsky")}
        source.update(handle="@me.test", app_password_env="BSKY_APP_PASSWORD", rate_per_minute=FAST)
        source.update(options)
        return write_config(queries, [source])

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_logs_in_once_then_searches_each_alternative_with_the_session(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(SEARCH).respond_with_json(fixture_json(POSTS))
    path = config({"ux": '"user experience" OR impersonator', "kay": "kay"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    requests = asked(httpserver)
    logins = [r for r in requests if r.path == LOGIN]
    assert len(logins) == 1  # one session for the whole run
    assert logins[0].method == "POST"
    assert json.loads(logins[0].get_data()) == {"identifier": "me.test", "password": "abcd-efgh-ijkl-mnop"}
    searches = [r for r in requests if r.path == SEARCH]
    assert sorted(params(r)["q"] for r in searches) == ['"user experience"', "impersonator", "kay"]
    assert all(params(r)["sort"] == "latest" and params(r)["limit"] == "100" for r in searches)
    assert all("since" not in params(r) for r in searches)
    assert all(r.headers["Authorization"] == "Bearer access-jwt-1" for r in searches)
    records = {r["url"]: r for r in json.loads(result.stdout)}
    assert sorted(records) == [
        "https://bsky.app/profile/createwithswift.bsky.social/post/3lhlr5a4shz2u",
        "https://bsky.app/profile/xxiainxx.bsky.social/post/3lhmgh4f5es2q",
    ]
    post = records["https://bsky.app/profile/xxiainxx.bsky.social/post/3lhmgh4f5es2q"]
    post.pop("id"), post.pop("found_at")
    assert post == {
        "url": "https://bsky.app/profile/xxiainxx.bsky.social/post/3lhmgh4f5es2q",
        "title": "There's a Peter Kay impersonator at a hotel near me next month",
        "snippet": "There's a Peter Kay impersonator at a hotel near me next month",
        "author": "¡a!n",
        "author_url": "https://bsky.app/profile/xxiainxx.bsky.social",
        "author_email": None,
        "published": "2025-02-07T20:21:22Z",
        "source": "sky",
        "source_type": "bluesky",
        "queries": ["ux", "kay"],
        "status": "new",
        "link": None,
        "related": [],
    }
    swift = records["https://bsky.app/profile/createwithswift.bsky.social/post/3lhlr5a4shz2u"]
    assert swift["author"] == "Create with Swift"
    assert swift["title"].startswith("A great user experience isn’t just about what users see")
    assert swift["title"].endswith("…") and len(swift["title"]) <= 80
    mention = next(m for m in stored(path) if m.url == post["url"])
    assert "n:at://did:plc:yf6b2cgjhxo5wevddebvklna/app.bsky.feed.post/3lhmgh4f5es2q" in mention.keys
    swift_text = next(m for m in stored(path) if m.url == swift["url"]).text
    card = (  # the link card's title and description count as the post's text
        "Designing for Application States: Creating Seamless User Experiences Design thoughtfully for "
        "every app state, transforming potential user frustration into a seamless, engaging experience."
    )
    assert swift_text.endswith(card)
    assert "abcd-efgh" not in result.stderr + result.stdout


def test_the_next_run_asks_since_the_newest_post_and_follows_the_cursor_back_to_it(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    first = fixture_json(POSTS)
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    pages = iter([first, first, {"posts": []}])

    def search(request: Request) -> Response:
        return Response(json.dumps(next(pages)), content_type="application/json")

    httpserver.expect_request(SEARCH).respond_with_handler(search)
    path = config({"kay": "kay"}, limit=3)

    assert fetch(cli, path).exit_code == 0
    assert stored_state(path, "task:sky\x1fkay") == {"cursors": {"kay": "2025-02-07T20:21:22Z"}}
    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    searches = [params(r) for r in asked(httpserver) if r.path == SEARCH]
    assert searches == [
        {"q": "kay", "sort": "latest", "limit": "3"},
        # a full page since the cursor: there may be more, so the site's cursor is followed
        {"q": "kay", "sort": "latest", "limit": "3", "since": "2025-02-07T20:21:22Z"},
        {"q": "kay", "sort": "latest", "limit": "3", "since": "2025-02-07T20:21:22Z", "cursor": "3"},
    ]
    assert json.loads(again.stdout) == []


def test_a_refused_login_fails_the_source_once_and_names_the_variable(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, status=401
    )
    path = config({"a": "acme", "b": "widgets"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert [r.path for r in asked(httpserver)] == [LOGIN]  # not once per query: logins are scarce
    assert "the server wants credentials (HTTP 401): Bluesky refused the login: " in result.stderr
    assert "check that $BSKY_APP_PASSWORD holds an app password for me.test" in result.stderr
    assert "abcd-efgh" not in result.stderr


def test_a_refused_search_says_bluesky_search_needs_an_app_password(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(SEARCH).respond_with_json(fixture_json(AUTH_MISSING), status=403)
    path = config({"a": "acme"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert (
        "access refused (HTTP 403): Bluesky search needs an app password: check that $BSKY_APP_PASSWORD"
        in (result.stderr)
    )


def test_a_missing_app_password_stops_before_any_request(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config({"a": "acme"})
    monkeypatch.delenv("BSKY_APP_PASSWORD")

    result = fetch(cli, path)

    assert result.exit_code == 2
    assert "environment variable BSKY_APP_PASSWORD is not set (a Bluesky app password)" in result.stderr
    assert asked(httpserver) == []


def test_handle_and_app_password_env_are_required(cli: Cli, write_config) -> None:
    path = write_config({"a": "acme"}, [{"name": "sky", "type": "bluesky", "handle": "me.test"}])

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 2
    assert "missing key 'app_password_env'" in result.stderr


def test_rate_limited_the_source_fails_then_waits_its_turn(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(SEARCH).respond_with_json(
        {"error": "RateLimitExceeded"}, status=429, headers={"Retry-After": "90"}
    )
    path = config({"a": "acme"})

    result = fetch(cli, path)
    again = fetch(cli, path)

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 90 s" in result.stderr
    assert len(asked(httpserver)) == 2  # the login and one search; the second run asked nothing
    assert "skipped until" in again.stderr


def test_a_tag_query_asks_by_hashtag_and_keeps_its_own_cursor(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    answer = fixture_json(POSTS)
    # The real posts carry no hashtag; the third gets one, as the richtext lexicon shapes a tag facet.
    record = answer["posts"][2]["record"]
    record["text"] += " #SwiftUI"
    start = len(record["text"].encode()) - len("#SwiftUI")
    feature = {"$type": "app.bsky.richtext.facet#tag", "tag": "SwiftUI"}
    record["facets"] = [{"index": {"byteStart": start, "byteEnd": start + 8}, "features": [feature]}]
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(SEARCH).respond_with_json(answer)
    path = config({"support": "tag:swiftui", "kay": "kay"})

    first = fetch(cli, path)
    assert first.exit_code == 0, first.stderr
    found = {r["url"]: r["queries"] for r in json.loads(first.stdout)}
    assert found["https://bsky.app/profile/createwithswift.bsky.social/post/3lhlr5a4shz2u"] == ["support"]
    assert stored_state(path, "task:sky\x1fsupport") == {"cursors": {"#swiftui": "2025-02-07T20:21:22Z"}}
    assert fetch(cli, path).exit_code == 0

    searches = [params(r) for r in asked(httpserver) if r.path == SEARCH]
    tagged = [s for s in searches if "tag" in s]
    assert tagged == [
        {"q": "swiftui", "tag": "swiftui", "sort": "latest", "limit": "100"},
        {"q": "swiftui", "tag": "swiftui", "sort": "latest", "limit": "100", "since": "2025-02-07T20:21:22Z"},
    ]
    assert [s["q"] for s in searches if "tag" not in s] == ["kay", "kay"]  # words: no tag parameter


def test_a_query_in_one_language_asks_for_posts_declared_in_it(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(SEARCH).respond_with_json(fixture_json(POSTS))
    path = config({"kay": "kay lang:en", "de": "impersonator -lang:de"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    asks = {params(r)["q"]: params(r).get("lang") for r in asked(httpserver) if r.path == SEARCH}
    assert asks == {"kay": "en", "impersonator": None}  # an exclusion is never a site filter
    (post,) = json.loads(result.stdout)  # both queries find the same post, declared "en"
    assert post["queries"] == ["kay", "de"]
