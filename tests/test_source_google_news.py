"""The `google_news` source against a server on 127.0.0.1 replaying live rss/search answers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.timeutil import parse_time
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


PATH = "/gn/rss/search"
FEED = "google_news/google_news_search_2026-09_trimmed.xml"  # two items, 2026-09-25
RSS = "application/xml; charset=utf-8"
ARTICLE = "https://news.google.com/rss/articles/CBMiogFBVV95cUxQZ3MtNXd1?oc=5"


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "gn",
            "type": "google_news",
            "base_url": httpserver.url_for("/gn"),
            "rate_per_minute": FAST,
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_search_request_every_field_and_the_date_bound(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(FEED), content_type=RSS)
    path = config({"docket": '"emergency docket" -site:example.org'})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (request,) = asked(httpserver)
    assert request.path == PATH
    assert params(request) == {
        "q": '"emergency docket" -site:example.org',
        "hl": "en-US",
        "gl": "US",
        "ceid": "US:en",
    }
    assert request.headers["User-Agent"] == USER_AGENT
    assert "application/rss+xml" in request.headers["Accept"]
    # "Fall Related Emergency Visits ..." was Google's loose match: not the phrase
    assert "gn: 2 entries, 1 matched, 1 new, 1 not a match" in result.stderr
    title = "Ketanji Brown Jackson criticizes supreme court’s handling of emergency docket"
    assert records(result.stdout) == {
        ARTICLE: {
            "id": record_id(ARTICLE.removeprefix("https://")),
            "url": ARTICLE,
            "title": title,  # without " - The Guardian"
            "snippet": title,  # the description only repeats the headline and the publisher
            "author": "The Guardian",  # the publisher: Google News has no byline
            "author_url": "https://www.theguardian.com",
            "author_email": None,
            "published": "2026-09-25T16:11:00Z",
            "source": "gn",
            "source_type": "google_news",
            "queries": ["docket"],
            "status": "new",
            "link": None,
            "related": [],
        }
    }
    (mention,) = stored(path).values()
    assert "n:gnews:CBMiogFBVV95cUxQZ3MtNXd1" in mention.keys
    assert mention.text == ""
    cursor = parse_time(stored_state(path, "task:gn\x1fdocket")["cursors"][""])
    assert cursor is not None

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    # only what is new: an after: date from the last run, less an hour's margin
    day = (cursor - timedelta(hours=1)).date().isoformat()
    assert params(asked(httpserver)[1])["q"] == f'"emergency docket" -site:example.org after:{day}'
    assert again.stdout.strip() == "[]"


def test_edition_options_and_alternatives_grouped_before_the_date(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request(PATH).respond_with_data(
        fixture_bytes("google_news/google_news_search_Chemnitz_de_2023_feeddeck.xml"), content_type=RSS
    )
    source = {
        "name": "gn",
        "type": "google_news",
        "base_url": httpserver.url_for("/gn"),
        "rate_per_minute": FAST,
        "hl": "de",
        "gl": "DE",
        "ceid": "DE:de",
    }
    path = write_config({"chemnitz": "Chemnitz OR Fernwärme"}, [source], settings={"max_age_days": 3650})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    asked_params = params(asked(httpserver)[0])
    assert (asked_params["hl"], asked_params["gl"], asked_params["ceid"]) == ("de", "DE", "DE:de")
    assert asked_params["q"].startswith("(Chemnitz OR Fernwärme) after:")
    kept = stored(path)
    assert kept and {m.author for m in kept.values()} >= {"TAG24"}
    assert not any(m.title.endswith(" - TAG24") for m in kept.values())


def test_a_ceid_that_is_not_one_is_a_config_error(cli: Cli, config) -> None:
    result = fetch(cli, config({"x": "x"}, ceid="english"))

    assert result.exit_code == 2
    assert "'ceid' must be country:language like \"US:en\", not 'english'" in result.stderr


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_fails_the_source(cli: Cli, httpserver: HTTPServer, config, status: int) -> None:
    httpserver.expect_request(PATH).respond_with_data("no", status=status)

    result = fetch(cli, config({"x": "acme"}))

    assert result.exit_code == 3
    assert (
        f"Error: gn: Google News refused the search (HTTP {status}): it needs no key, so this network "
        "is probably blocked or sent to a consent page: try again later or from another network"
    ) in result.stderr


def test_rate_limited(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data("", status=429, headers={"Retry-After": "120"})

    result = fetch(cli, config({"x": "acme"}))

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 120 s" in result.stderr


def test_the_parse_job_survives_pickling(httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data(fixture_bytes(FEED), content_type=RSS)

    parsed = parse_job_after_pickling(config({"x": "emergency"}))

    assert [(e.native_id, e.author) for e in parsed.entries] == [
        ("gnews:CBMinwFBVV95cUxObDNTMW1VT3pC", "countynewscenter.com"),
        ("gnews:CBMiogFBVV95cUxQZ3MtNXd1", "The Guardian"),
    ]
