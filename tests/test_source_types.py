"""What every registered source type does alike: `base_url`, the `max_age_days` bound, refusals,
block pages and the `doctor` probe, each asserted as the user sees it (requests, error lines).

`TYPES` describes each type of `SOURCE_TYPES` for these tests; a type added to the registry
without a row here fails the first test.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.sources import SOURCE_TYPES
from mentionscan.store import open_store
from mentionscan.timeutil import parse_time, to_iso, utcnow
from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params

EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
EMPTY_ATOM = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'
BLOCK_PAGE = "<!DOCTYPE html><html><body>Please verify you are human</body></html>"
NO_KEY = "it needs no key, so this network is probably blocked"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# An address no request may reach: where a type's own site or instance would be.
NOWHERE = f"http://127.0.0.1:{closed_port()}"


@dataclass(frozen=True)
class Type:
    path: str  # what a fetch asks first, below base_url
    answer: Any  # an empty answer in the site's shape: JSON, or feed bytes
    query: str = "acme"
    options: dict[str, Any] = field(default_factory=dict)
    refusal: str = ""  # the error line of a 403, after "Error: s: "; "{url}: " stands for the URL's message
    block_page: str = ""  # what the error line says of a web page instead of the answer
    probe: dict[str, str] = field(default_factory=dict)  # doctor's parameters (the path is `path`)


TYPES: dict[str, Type] = {
    "feed": Type(
        "/f.xml",
        EMPTY_RSS,
        options={"url": f"{NOWHERE}/f.xml"},
        refusal="{url}: access refused (HTTP 403)",
        block_page="not a feed (the server sent an HTML page)",
    ),
    "hackernews": Type(
        "/api/v1/search_by_date",
        {"hits": [], "nbPages": 0},
        refusal=f"Hacker News search (Algolia) refused the request (HTTP 403): {NO_KEY}: "
        "try again later or from another network",
        block_page="Hacker News search answered with a web page instead of search results",
        probe={"query": "acme", "tags": "(story,comment)", "hitsPerPage": "1"},
    ),
    "reddit": Type(
        "/search.rss",
        EMPTY_ATOM,
        refusal="Reddit refused the search (HTTP 403): Reddit blocks many cloud and VPN networks",
        block_page="Reddit sent a web page instead of search results: Reddit blocks many cloud",
        probe={"q": "acme", "sort": "new", "t": "all", "limit": "1", "type": "link"},
    ),
    "google_news": Type(
        "/rss/search",
        EMPTY_RSS,
        refusal=f"Google News refused the search (HTTP 403): {NO_KEY} or sent to a consent page: "
        "try again later or from another network",
        block_page="not a feed (the server sent an HTML page)",
        probe={"q": "acme", "hl": "en-US", "gl": "US", "ceid": "US:en"},
    ),
    "bing_news": Type(
        "/news/search",
        EMPTY_RSS,
        refusal=f"Bing refused the search (HTTP 403): {NO_KEY}: try again later or from another network",
        block_page="not a feed (the server sent an HTML page)",
        probe={"q": "acme", "format": "rss"},
    ),
    "mastodon": Type(
        "/api/v1/timelines/tag/acme",
        [],
        query="tag:acme",
        options={"instance": NOWHERE},
        refusal="{url}: access refused (HTTP 403): this instance shows hashtag timelines to logged-in "
        "users only: set token_env to the name of an environment variable holding an access token",
        block_page="response is not JSON",
        probe={"limit": "1"},
    ),
    "stackexchange": Type(
        "/2.3/search/advanced",
        {"items": [], "has_more": False},
        refusal=f"Stack Exchange refused the search (HTTP 403): {NO_KEY}: try again later",
        block_page="Stack Exchange answered with a web page instead of search results",
        probe={
            "site": "stackoverflow",
            "sort": "creation",
            "order": "desc",
            "pagesize": "1",
            "filter": "withbody",
            "q": "acme",
        },
    ),
    "github": Type(
        "/search/issues",
        {"total_count": 0, "incomplete_results": False, "items": []},
        refusal="GitHub refused the search (HTTP 403): set token_env to a token's environment variable",
        block_page="GitHub answered with a web page instead of search results",
        probe={"q": "acme is:issue", "sort": "created", "order": "desc", "per_page": "1"},
    ),
    "devto": Type(
        "/api/articles",
        [],
        query="tag:acme",
        refusal="{url}: access refused (HTTP 403): dev.to refuses some clients: check [settings] "
        "user_agent names mentionscan and a contact URL",
        block_page="response is not JSON",
        probe={"tag": "acme", "top": "1", "per_page": "1"},
    ),
    "lobsters": Type(
        "/newest.json",
        [],
        refusal="{url}: access refused (HTTP 403): Lobsters refused the request: check [settings] "
        "user_agent names mentionscan and a contact URL",
        block_page="response is not JSON",
    ),
    "lemmy": Type(
        "/api/v3/search",
        {"posts": [], "comments": []},
        options={"instance": NOWHERE},
        refusal="{url}: access refused (HTTP 403): this Lemmy instance refuses logged-out search: "
        "set instance to another one",
        block_page="response is not JSON",
        probe={"q": "acme", "type_": "All", "sort": "New", "listing_type": "All", "limit": "1"},
    ),
    "bluesky": Type(
        "/xrpc/app.bsky.feed.searchPosts",
        {"posts": []},
        options={"handle": "me.test", "app_password_env": "BSKY_PW"},
        refusal="{url}: access refused (HTTP 403): Bluesky search needs an app password: "
        "check that $BSKY_PW holds an app password for me.test",
        block_page="response is not JSON",
        probe={"q": "acme", "sort": "latest", "limit": "1"},
    ),
    "medium": Type(
        "/feed/tag/acme",
        EMPTY_RSS,
        query="tag:acme",
        refusal="Medium refused the feed (HTTP 403): Medium's bot check sometimes stops feed readers",
        block_page="Medium sent a web page instead of a feed: Medium's bot check",
    ),
    "wordpress": Type(
        "/rest/v1.1/read/tags/acme/posts",
        {"found": 0, "posts": []},
        query="tag:acme",
        refusal="{url}: access refused (HTTP 403): WordPress.com needs no key for tags, so this network "
        "is probably blocked: try again later",
        block_page="response is not JSON",
        probe={"number": "1", "order": "DESC"},
    ),
    "youtube": Type(
        "/youtube/v3/search",
        {"items": []},
        options={"key_env": "YT_KEY"},
        refusal="YouTube refused the search (HTTP 403): check that $YT_KEY holds a YouTube Data API v3 key",
        block_page="response is not JSON",
        probe={
            "part": "snippet",
            "type": "video",
            "order": "date",
            "q": "acme",
            "maxResults": "1",
            "key": "yt-test-key-1",
        },
    ),
    "rsshub": Type(
        "/kw/acme",
        EMPTY_RSS,
        options={"instance": NOWHERE, "routes": ["/kw/{query}"]},
        refusal="RSSHub refused the route (HTTP 403): an instance with ACCESS_KEY set needs it",
        block_page="not a feed (the server sent an HTML page)",
    ),
}


def test_every_registered_type_is_described_here() -> None:
    assert sorted(TYPES) == sorted(SOURCE_TYPES)


@pytest.fixture
def setup(httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch):
    """A config of one source of `kind` at base_url /base, and the answers a fetch needs."""
    monkeypatch.setenv("BSKY_PW", "app-password")
    monkeypatch.setenv("YT_KEY", "yt-test-key-1")
    login = "/base/xrpc/com.atproto.server.createSession"
    httpserver.expect_request(login, method="POST").respond_with_json({"accessJwt": "jwt"})

    def make(kind: str, max_age_days: int = 0, status: int = 200, body: Any = None) -> Path:
        case = TYPES[kind]
        answer = case.answer if body is None else body
        respond = httpserver.expect_request("/base" + case.path)
        if isinstance(answer, bytes | str):
            respond.respond_with_data(answer, status=status, content_type="application/rss+xml")
        else:
            respond.respond_with_json(answer, status=status)
        source = {"name": "s", "type": kind, "base_url": httpserver.url_for("/base"), "rate_per_minute": FAST}
        return write_config({"q": case.query}, [{**source, **case.options}], {"max_age_days": max_age_days})

    return make


def site_requests(httpserver: HTTPServer) -> list[Any]:
    return [r for r in asked(httpserver) if not r.path.endswith("createSession")]


def error_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.startswith("Error: s: "))


@pytest.mark.parametrize("kind", TYPES)
def test_base_url_is_where_every_type_asks(cli: Cli, httpserver: HTTPServer, setup, kind: str) -> None:
    path = setup(kind)

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    # never the site itself (or its instance); GitHub asks twice, for issues and pull requests
    assert {r.path for r in site_requests(httpserver)} == {"/base" + TYPES[kind].path}


@pytest.mark.parametrize("kind", TYPES)
def test_a_refusal_says_what_to_do(cli: Cli, httpserver: HTTPServer, setup, kind: str) -> None:
    path = setup(kind, status=403, body="no")

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 3
    line = error_line(result.stderr).removeprefix("Error: s: ")
    expected = TYPES[kind].refusal
    if expected.startswith("{url}: "):
        url, _, rest = line.partition(": ")
        assert url.startswith(httpserver.url_for("/base" + TYPES[kind].path))
        assert rest == expected.removeprefix("{url}: ")
    else:
        assert line.startswith(expected)


@pytest.mark.parametrize("kind", TYPES)
def test_a_web_page_instead_of_an_answer_fails_the_source(
    cli: Cli, httpserver: HTTPServer, setup, kind: str
) -> None:
    path = setup(kind, body=BLOCK_PAGE)

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 3
    assert TYPES[kind].block_page in error_line(result.stderr)


@pytest.mark.parametrize("kind", TYPES)
def test_doctor_asks_the_first_request_a_fetch_makes_for_one_result(
    cli: Cli, httpserver: HTTPServer, setup, kind: str
) -> None:
    path = setup(kind)

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 0, result.stdout
    [request] = site_requests(httpserver)
    assert request.path == "/base" + TYPES[kind].path
    assert params(request) == TYPES[kind].probe


# --- max_age_days -------------------------------------------------------------------------------

DAYS = 3
# What each type that takes a time bound asks, given that the bound is DAYS ago: the seconds it
# is off by, or whether the window (or day) is the one that reaches back to it.
BOUNDS = {
    "hackernews": lambda p, since: int(p["numericFilters"].removeprefix("created_at_i>")) - since.timestamp(),
    "stackexchange": lambda p, since: int(p["fromdate"]) - since.timestamp(),
    "github": lambda p, since: (parse_time(p["q"].split("created:>=")[1]) - since).total_seconds(),
    "bluesky": lambda p, since: (parse_time(p["since"]) - since).total_seconds(),
    "wordpress": lambda p, since: (parse_time(p["after"]) - since).total_seconds(),
    "youtube": lambda p, since: (parse_time(p["publishedAfter"]) - since).total_seconds(),
    "google_news": lambda p, since: p["q"] == f"acme after:{since.date().isoformat()}",
    "reddit": lambda p, since: p["t"] == "week",
    "bing_news": lambda p, since: p["qft"] == 'interval="8"',
    "devto": lambda p, since: p["top"] == str(DAYS),
}
# These ask no time bound: a feed is one document (Medium's and RSSHub's feeds too); Mastodon
# pages by ids, Lemmy's search by page.
UNBOUNDED = {"feed", "mastodon", "lemmy", "lobsters", "medium", "rsshub"}


def test_every_type_is_bounded_or_says_why_not() -> None:
    assert sorted([*BOUNDS, *UNBOUNDED]) == sorted(SOURCE_TYPES)


def set_cursor(config: Path, kind: str, when: str) -> None:
    key = {"bluesky": "acme", "wordpress": "#acme"}.get(kind, "")
    with open_store(config.parent / "mentions.json") as store:
        store.set_state("task:s\x1fq", {"cursors": {key: when}})
        store.save()


@pytest.mark.parametrize("first_run", [True, False], ids=["first run", "old cursor"])
@pytest.mark.parametrize("kind", BOUNDS)
def test_max_age_days_bounds_what_is_asked(
    cli: Cli, httpserver: HTTPServer, setup, kind: str, first_run: bool
) -> None:
    path = setup(kind, max_age_days=DAYS)
    if not first_run:  # a month ago: max_age_days is the nearer bound
        set_cursor(path, kind, to_iso(utcnow() - timedelta(days=30)) or "")

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    since = utcnow() - timedelta(days=DAYS)
    asked_for = BOUNDS[kind](params(site_requests(httpserver)[0]), since)
    # a window or a day is asked for as such; a time, to within the seconds the run took
    assert asked_for is True if isinstance(asked_for, bool) else abs(asked_for) <= 5


LISTINGS = {
    "devto": ("/api/articles/latest", "devto/devto_api_articles_tag_go_2026_godaily.json", "published_at"),
    "lobsters": ("/newest.json", "lobsters/lobsters_t_go_json_2026-04_godaily.json", "created_at"),
}


@pytest.mark.parametrize("max_age_days", [0, DAYS])
@pytest.mark.parametrize("kind", LISTINGS)
def test_a_listing_pages_back_no_further_than_max_age_days(
    cli: Cli, httpserver: HTTPServer, write_config, kind: str, max_age_days: int
) -> None:
    first, fixture, published = LISTINGS[kind]
    item = fixture_json(fixture)[0]
    item[published] = to_iso(utcnow() - timedelta(days=10))
    later = "/base/api/articles/latest" if kind == "devto" else "/base/newest/page/2.json"
    httpserver.expect_ordered_request("/base" + first).respond_with_json([item])
    httpserver.expect_ordered_request(later).respond_with_json([])
    source = {"name": "s", "type": kind, "base_url": httpserver.url_for("/base"), "rate_per_minute": FAST}
    path = write_config({"q": "acme"}, [source], {"max_age_days": max_age_days})
    with open_store(path.parent / "mentions.json") as store:  # the last run was a month ago
        store.set_state("task:s\x1f*newest", {"cursors": {"": to_iso(utcnow() - timedelta(days=30))}})
        store.save()

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    # ten days old: within the month since the last run, but older than max_age_days
    assert len(asked(httpserver)) == (1 if max_age_days else 2)
    assert re.search(rf"s: {0 if max_age_days else 1} entr", result.stderr)
