"""The `reddit` source against a server on 127.0.0.1 replaying a live search.rss answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.store import open_store
from mentionscan.timeutil import parse_time, to_iso, utcnow
from tests.conftest import Cli
from tests.searchtools import (
    FAST,
    SETTINGS,
    USER_AGENT,
    asked,
    fixture_bytes,
    params,
    parse_job_after_pickling,
    record_id,
    records,
    stored,
    stored_state,
)

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

# www.reddit.com/search.rss for "linux kernel", 2026-09-28: a t5_ subreddit entry and two t3_ posts
FEED = "reddit/search_rss_linux_kernel_2026-09_trimmed.atom.xml"
ATOM = "application/atom+xml; charset=UTF-8"
LINK_POST = (
    "https://www.reddit.com/r/technology/comments/1w4dj6h/linux_kernel_nears_record_2000_vulnerabilities/"
)

SELF_POST = "https://www.reddit.com/r/linuxmint/comments/1vu31ai/which_features/"


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "rd",
            "type": "reddit",
            "base_url": httpserver.url_for("/reddit"),
            "rate_per_minute": FAST,
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def serve_feed(httpserver: HTTPServer, path: str = "/reddit/search.rss") -> None:
    httpserver.expect_request(path).respond_with_data(fixture_bytes(FEED), content_type=ATOM)


def test_search_feed_request_every_field_and_the_window(cli: Cli, httpserver: HTTPServer, config) -> None:
    serve_feed(httpserver)
    path = config({"kernel": '"linux kernel" (vulnerabilities OR hyped) -windows'})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (request,) = asked(httpserver)
    assert request.path == "/reddit/search.rss"
    assert params(request) == {
        "q": '"linux kernel" (vulnerabilities OR hyped) NOT windows',
        "sort": "new",
        "t": "all",  # first run, max_age_days = 0: no window
        "limit": "100",
        "type": "link",
    }
    assert request.headers["User-Agent"] == USER_AGENT
    assert "application/atom+xml" in request.headers["Accept"]
    # the t5_ entry (the r/linuxkernel subreddit itself) is dropped before matching
    assert "rd: 2 entries, 2 matched, 2 new" in result.stderr
    common = {
        "author_email": None,
        "source": "rd",
        "source_type": "reddit",
        "queries": ["kernel"],
        "status": "new",
        "related": [],
    }
    TOMS_HARDWARE = "https://www.tomshardware.com/software/linux/linux-kernel-nears-2-000-cves-per-release"
    title = (
        'Linux kernel nears record 2,000 vulnerabilities — maintainers say they are "completely overwhelmed"'
    )
    assert records(result.stdout) == {
        LINK_POST: {
            "id": record_id(LINK_POST.removeprefix("https://www.").rstrip("/")),
            "url": LINK_POST,
            "title": title,
            # a link post has no text but the boilerplate, which is dropped, and the page it links to
            "snippet": TOMS_HARDWARE,
            "link": TOMS_HARDWARE,
            "author": "ControlCAD",
            "author_url": "https://www.reddit.com/user/ControlCAD",
            "published": "2026-09-01T14:25:51Z",
            **common,
        },
        SELF_POST: {
            "id": record_id(SELF_POST.removeprefix("https://www.").rstrip("/")),
            "url": SELF_POST,
            "title": "Which features of Linux kernel 7.3 are you most hyped to try out?",
            "snippet": "Linux kernel 7.3 is coming. Things won't feel laggy anymore.",
            "link": None,  # a self post links to itself
            "author": "Individual-Editor-41",
            "author_url": "https://www.reddit.com/user/Individual-Editor-41",
            "published": "2026-08-21T01:59:54Z",
            **common,
        },
    }
    kept = stored(path)
    assert kept[SELF_POST].text == "Linux kernel 7.3 is coming. Things won't feel laggy anymore."
    assert kept[SELF_POST].tags == ("linuxmint",)
    assert "n:reddit:t3_1vu31ai" in kept[SELF_POST].keys
    cursor = parse_time(stored_state(path, "task:rd\x1fkernel")["cursors"][""])
    assert cursor is not None and abs((utcnow() - cursor).total_seconds()) < 60  # when it asked

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    # the feed only takes a window: the smallest that reaches the last run less an hour's margin
    assert params(asked(httpserver)[1])["t"] in ("hour", "day")  # "day" if a second has passed
    assert again.stdout.strip() == "[]"
    set_cursor(path, "task:rd\x1fkernel", utcnow() - timedelta(days=3))

    fetch(cli, path)

    assert params(asked(httpserver)[2])["t"] == "week"


def set_cursor(config: Path, name: str, when: datetime) -> None:
    with open_store(config.parent / "mentions.json") as store:
        store.set_state(name, {"cursor": to_iso(when)})
        store.save()


def test_a_fuzzy_hit_is_dropped_by_our_matcher(cli: Cli, httpserver: HTTPServer, config) -> None:
    serve_feed(httpserver)

    result = fetch(cli, config({"cves": '"linux kernel" vulnerabilities'}))

    assert result.exit_code == 0, result.stderr
    assert "rd: 2 entries, 1 matched, 1 new, 1 not a match" in result.stderr
    assert list(records(result.stdout)) == [LINK_POST]


def test_subreddits_restrict_the_search(cli: Cli, httpserver: HTTPServer, config) -> None:
    serve_feed(httpserver, "/reddit/r/technology+linuxmint/search.rss")

    result = fetch(cli, config({"kernel": '"linux kernel"'}, subreddits=["technology", "r/linuxmint"]))

    assert result.exit_code == 0, result.stderr
    request = asked(httpserver)[0]
    assert request.path == "/reddit/r/technology+linuxmint/search.rss"
    assert params(request)["restrict_sr"] == "on"


def test_max_age_days_picks_the_window(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    serve_feed(httpserver)
    source = {
        "name": "rd",
        "type": "reddit",
        "base_url": httpserver.url_for("/reddit"),
        "rate_per_minute": FAST,
    }
    path = write_config({"kernel": '"linux kernel"'}, [source], settings={"max_age_days": 14})

    result = fetch(cli, path)

    assert params(asked(httpserver)[0])["t"] == "month"
    assert "rd: 2 entries, 0 matched, 0 new, 2 too old" in result.stderr


def test_a_bad_subreddit_name_is_a_config_error(cli: Cli, config) -> None:
    result = fetch(cli, config({"kernel": "kernel"}, subreddits=["linux kernel"]))

    assert result.exit_code == 2
    assert "'subreddits' must list subreddit names like \"python\", not 'linux kernel'" in result.stderr


BLOCKED = (
    "Reddit blocks many cloud and VPN networks and clients it takes for scrapers: run mentionscan from "
    "another network (a home or office connection), and not more than a few times an hour; or give it a "
    "Reddit app's credentials (client_id_env and client_secret_env), which Reddit does not throttle so"
)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_explains_reddits_blocking(cli: Cli, httpserver: HTTPServer, config, status: int) -> None:
    page = b"<!doctype html><html><body>whoa there, pardner!</body></html>"
    httpserver.expect_request("/reddit/search.rss").respond_with_data(
        page, status=status, content_type="text/html"
    )

    result = fetch(cli, config({"kernel": "kernel"}))

    assert result.exit_code == 3
    assert f"Error: rd: Reddit refused the search (HTTP {status}): {BLOCKED}" in result.stderr


def test_a_block_page_with_200_is_a_failure_too(cli: Cli, httpserver: HTTPServer, config) -> None:
    page = b"<!doctype html><html><head><title>Blocked</title></head><body>whoa there</body></html>"
    httpserver.expect_request("/reddit/search.rss").respond_with_data(page, content_type="text/html")

    result = fetch(cli, config({"kernel": "kernel"}))

    assert result.exit_code == 3
    assert f"Error: rd: Reddit sent a web page instead of search results: {BLOCKED}" in result.stderr


def test_rate_limited_then_skipped(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request("/reddit/search.rss").respond_with_data(
        "", status=429, headers={"Retry-After": "90"}
    )
    path = config({"kernel": "kernel"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert (
        "rate limited (HTTP 429), retry after 90 s: Reddit allows logged-out readers about 1 search a "
        "minute from one address; a Reddit app's credentials (client_id_env, client_secret_env) lift that"
    ) in result.stderr

    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1
    assert "Warning: rd: rate limited by the site: skipped until " in again.stderr


def test_the_parse_job_survives_pickling(httpserver: HTTPServer, config) -> None:
    serve_feed(httpserver)

    parsed = parse_job_after_pickling(config({"kernel": "kernel"}))

    assert [e.native_id for e in parsed.entries] == ["reddit:t3_1w4dj6h", "reddit:t3_1vu31ai"]
