"""`reddit` with a script app's credentials: the OAuth API, against one local server for both hosts.

The server stands in for www.reddit.com (the token) and oauth.reddit.com (the search) through
`base_url`. Search answers are Reddit's real listing JSON (`search_posts_json_2020_go-reddit.json`)
with their times moved to now; there is no fixture of a comment listing, so its one comment is
built from the API's documented `t1` fields (Pyprohly's reddit-api-doc-notes, SOURCES.md §2.2).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import FAST, SETTINGS, USER_AGENT, asked, fixture_json, params, stored_state

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

LISTING = "reddit/search_posts_json_2020_go-reddit.json"
TOKEN = "/reddit/api/v1/access_token"
SEARCH = "/reddit/search"
ENV = {"REDDIT_CLIENT_ID": "abc123id", "REDDIT_SECRET": "s3cret-value"}
GUARDIAN = (
    "https://www.theguardian.com/world/2020/jul/07/jair-bolsonaro-coronavirus-positive-test-brazil-president"
)
POST = "https://www.reddit.com/r/worldnews/comments/hmwhd7/brazilian_president_jair_bolsonaro_tests_positive/"


def listing(minutes_ago: float = 30) -> dict[str, Any]:
    data = fixture_json(LISTING)
    for child in data["data"]["children"]:
        child["data"]["created_utc"] = time.time() - minutes_ago * 60
    return data


def comments() -> dict[str, Any]:
    comment = {
        "kind": "t1",
        "data": {
            "name": "t1_k9x2a1b",
            "id": "k9x2a1b",
            "body": "Has anyone tried Bolsonaro's statement on the coronavirus test?",
            "author": "some_reader",
            "link_title": "Brazilian president Jair Bolsonaro tests positive for coronavirus",
            "permalink": "/r/worldnews/comments/hmwhd7/brazilian_president/k9x2a1b/",
            "subreddit": "worldnews",
            "created_utc": time.time() - 600,
        },
    }
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": [comment]}}


@pytest.fixture
def config(httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)

    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "rd",
            "type": "reddit",
            "base_url": httpserver.url_for("/reddit"),
            "rate_per_minute": FAST,
            "client_id_env": "REDDIT_CLIENT_ID",
            "client_secret_env": "REDDIT_SECRET",
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def serve_token(httpserver: HTTPServer, **kwargs: Any) -> None:
    answer = {"access_token": "app-token-1", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
    httpserver.expect_request(TOKEN, method="POST").respond_with_json(answer, **kwargs)


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_one_token_a_run_then_oauth_search_newest_first(cli: Cli, httpserver: HTTPServer, config) -> None:
    serve_token(httpserver)
    httpserver.expect_request(SEARCH).respond_with_json(listing(), headers={"X-Ratelimit-Remaining": "99"})
    path = config({"brazil": "bolsonaro", "test": '"pregnancy test"'})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    tokens = [r for r in asked(httpserver) if r.path == TOKEN]
    assert len(tokens) == 1
    basic = base64.b64encode(b"abc123id:s3cret-value").decode()
    assert tokens[0].headers["Authorization"] == f"Basic {basic}"
    assert tokens[0].form.to_dict() == {"grant_type": "client_credentials"}
    searches = [r for r in asked(httpserver) if r.path == SEARCH]
    assert sorted(params(r)["q"] for r in searches) == ['"pregnancy test"', "bolsonaro"]
    assert params(searches[0]) | {"q": ""} == {
        "q": "",
        "sort": "new",
        "limit": "100",
        "type": "link",
        "raw_json": "1",
        "t": "all",
    }
    assert all(r.headers["Authorization"] == "Bearer app-token-1" for r in searches)
    assert all(r.headers["User-Agent"] == USER_AGENT for r in searches)
    found = {r["url"]: r for r in json.loads(result.stdout)}
    post = found[POST]
    assert (post["title"], post["author"], post["link"]) == (
        "Brazilian president Jair Bolsonaro tests positive for coronavirus",
        "Jeremy_Martin",
        GUARDIAN,
    )
    assert post["author_url"] == "https://www.reddit.com/user/Jeremy_Martin"
    assert "secret" not in result.stderr and "s3cret" not in result.stdout + result.stderr


def test_the_next_run_asks_only_the_window_since_the_newest_post(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    serve_token(httpserver)
    httpserver.expect_request(SEARCH).respond_with_json(listing(minutes_ago=30))
    path = config({"brazil": "bolsonaro"})
    assert fetch(cli, path).exit_code == 0
    assert set(stored_state(path, "task:rd\x1fbrazil")["cursors"]) == {""}

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    windows = [params(r)["t"] for r in asked(httpserver) if r.path == SEARCH]
    assert windows == ["all", "day"]  # the newest post was 30 minutes ago, less an hour for indexing
    assert json.loads(again.stdout) == []  # the same posts: stored once


def test_subreddits_restrict_the_search_and_their_comments_are_read(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/reddit/r/worldnews+brazil/search").respond_with_json(listing())
    httpserver.expect_request("/reddit/r/worldnews+brazil/comments").respond_with_json(comments())
    path = config({"brazil": "bolsonaro"}, subreddits=["worldnews", "r/brazil"])

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    search = next(r for r in asked(httpserver) if r.path.endswith("/search"))
    assert params(search)["restrict_sr"] == "1"
    found = {r["url"]: r for r in json.loads(result.stdout)}
    comment = found["https://www.reddit.com/r/worldnews/comments/hmwhd7/brazilian_president/k9x2a1b/"]
    assert comment["title"] == "Comment on Brazilian president Jair Bolsonaro tests positive for coronavirus"
    assert comment["author"] == "some_reader"
    assert POST in found


def test_a_used_up_allowance_stops_the_source_until_it_resets(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    serve_token(httpserver)
    headers = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Used": "100", "X-Ratelimit-Reset": "300"}
    httpserver.expect_request("/reddit/r/worldnews/search").respond_with_json(listing(), headers=headers)
    httpserver.expect_request("/reddit/r/worldnews/comments").respond_with_json(comments())
    path = config({"brazil": "bolsonaro"}, subreddits=["worldnews"])

    result = fetch(cli, path)

    assert result.exit_code == 3
    searched = [r.path for r in asked(httpserver) if r.path != TOKEN]
    assert searched == ["/reddit/r/worldnews/search"]  # the comments wait for the reset
    assert "Reddit's allowance of API requests is used up (X-Ratelimit-Remaining: 0); it resets in" in (
        result.stderr
    )
    again = fetch(cli, path)
    assert [r.path for r in asked(httpserver) if r.path != TOKEN] == searched
    assert "Warning: rd: rate limited by the site: skipped until " in again.stderr


def test_a_429_says_what_reddit_allows_and_when_it_resets(cli: Cli, httpserver: HTTPServer, config) -> None:
    serve_token(httpserver)
    httpserver.expect_request(SEARCH).respond_with_data(
        "{}", status=429, headers={"X-Ratelimit-Reset": "120"}, content_type="application/json"
    )

    result = fetch(cli, config({"brazil": "bolsonaro"}))

    assert result.exit_code == 3
    assert "Reddit allows 100 requests a minute per app; it resets in 120 s" in result.stderr


def test_refused_credentials_name_the_variables(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(TOKEN, method="POST").respond_with_json({"message": "Unauthorized"}, status=401)

    result = fetch(cli, config({"brazil": "bolsonaro", "test": "test"}))

    assert result.exit_code == 3
    assert (
        "Reddit refused the app's credentials (HTTP 401): check that $REDDIT_CLIENT_ID and $REDDIT_SECRET "
        'hold the id and secret of a "script" app (https://www.reddit.com/prefs/apps)'
    ) in result.stderr
    assert [r.path for r in asked(httpserver)] == [TOKEN]  # one refusal, not one per query


def test_a_missing_secret_stops_before_any_request(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDDIT_SECRET")

    result = fetch(cli, config({"brazil": "bolsonaro"}))

    assert result.exit_code != 0
    assert "REDDIT_SECRET" in result.stderr
    assert asked(httpserver) == []


def test_one_credential_without_the_other_is_a_config_error(cli: Cli, config) -> None:
    result = fetch(cli, config({"brazil": "bolsonaro"}, client_secret_env=""))

    assert result.exit_code == 2
    assert "'client_id_env' and 'client_secret_env' go together: set both" in result.stderr
