"""The `stackexchange` source against a server on 127.0.0.1 replaying API 2.3 answers."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.searchtools import (
    FAST,
    SETTINGS,
    USER_AGENT,
    asked,
    fixture_json,
    params,
    record_id,
    records,
    stored,
    stored_state,
)

pytestmark = pytest.mark.shared  # reads the sites' real responses from ../shared/

PATH = "/se/2.3/search/advanced"
QUESTION = "stackexchange/api_2.3_questions_item_2026_transcript.json"  # a real question, default filter
BODY = (
    "<p>Here is a piece of C++ code that shows some very peculiar behavior. For some strange reason, "
    "sorting the data (<em>before</em> the timed region) miraculously makes the loop almost six times "
    "faster.</p>\n<pre><code>#include &lt;algorithm&gt;\n</code></pre>"
)


def answer(**extra: Any) -> dict[str, Any]:
    """The real question with the body `filter=withbody` adds, and two more in the same shape."""
    data = fixture_json(QUESTION)
    real = data["items"][0]
    real["body"] = BODY
    entities = copy.deepcopy(real)  # the API escapes titles and names as HTML
    entities.update(
        question_id=79000002,
        title="Sorted array &amp; binary search: what&#39;s faster?",
        tags=["arrays", "binary-search"],
        body="<p>Is a <code>sorted array</code> with bisect faster than a set?</p>",
        creation_date=1772400000,
        link="https://stackoverflow.com/questions/79000002/sorted-array-binary-search-whats-faster",
    )
    entities["owner"] = dict(
        real["owner"], display_name="J&#246;rg", link="https://stackoverflow.com/users/5/jorg"
    )
    fuzzy = copy.deepcopy(real)  # the API's text search is loose: this one says "unsorted" only
    fuzzy.update(
        question_id=79000001,
        title="Why is my loop slow?",
        tags=["c"],
        body="<p>It&#39;s unsorted &amp; slow</p>",
        creation_date=1772479000,
        link="https://stackoverflow.com/questions/79000001/why-is-my-loop-slow",
    )
    fuzzy["owner"] = {"display_name": "user123", "user_type": "does_not_exist"}
    data["items"] = [fuzzy, entities, real]
    data.update(extra)
    return data


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "so",
            "type": "stackexchange",
            "base_url": httpserver.url_for("/se"),
            "rate_per_minute": FAST,
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_text_search_every_field_and_the_cursor(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer())
    path = config({"arrays": '"sorted array"'})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    (request,) = asked(httpserver)
    assert request.path == PATH
    assert params(request) == {
        "site": "stackoverflow",
        "sort": "creation",
        "order": "desc",
        "pagesize": "100",
        "filter": "withbody",
        "q": '"sorted array"',
    }
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json"
    assert "so: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    real_url = "https://stackoverflow.com/questions/11227809/why-is-processing-a-sorted-array-faster-than-processing-an-unsorted-array"
    other_url = "https://stackoverflow.com/questions/79000002/sorted-array-binary-search-whats-faster"
    common = {"author_email": None, "source": "so", "source_type": "stackexchange", "queries": ["arrays"]}
    assert records(result.stdout) == {
        real_url: {
            "id": record_id(real_url.removeprefix("https://")),
            "url": real_url,
            "title": "Why is processing a sorted array faster than processing an unsorted array?",
            "snippet": (
                "Here is a piece of C++ code that shows some very peculiar behavior. For some strange "
                "reason, sorting the data (before the timed region) miraculously makes the loop almost "
                "six times faster. #include <algorithm>"
            ),
            "author": "GManNickG",
            "author_url": "https://stackoverflow.com/users/87234/gmannickg",
            "published": "2012-06-27T13:51:36Z",
            "status": "new",
            "link": None,
            "related": [],
            **common,
        },
        other_url: {
            "id": record_id(other_url.removeprefix("https://")),
            "url": other_url,
            "title": "Sorted array & binary search: what's faster?",
            "snippet": "Is a sorted array with bisect faster than a set?",
            "author": "Jörg",
            "author_url": "https://stackoverflow.com/users/5/jorg",
            "published": "2026-03-01T21:20:00Z",
            "status": "new",
            "link": None,
            "related": [],
            **common,
        },
    }
    kept = stored(path)
    assert kept[real_url].tags == ("java", "c++", "performance", "cpu-architecture", "branch-prediction")
    assert "n:se:stackoverflow:q:11227809" in kept[real_url].keys
    # the cursor is the newest question seen, the one our matcher dropped included
    assert stored_state(path, "task:so\x1farrays") == {"cursors": {"": "2026-03-02T19:16:40Z"}}

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    assert params(asked(httpserver)[1])["fromdate"] == str(1772479000 - 3600)
    assert again.stdout.strip() == "[]"


def test_a_tag_query_asks_by_tag_on_the_configured_site(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer())
    path = config({"bp": "tag:branch-prediction OR tag:cpu-architecture"}, site="superuser")

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    asked_params = params(asked(httpserver)[0])
    assert asked_params["tagged"] == "branch-prediction;cpu-architecture"
    assert asked_params["site"] == "superuser"
    assert "q" not in asked_params
    assert "so: 3 entries, 1 matched, 1 new, 2 not a match" in result.stderr
    (mention,) = stored(path).values()
    assert "n:se:superuser:q:11227809" in mention.keys


def test_or_is_two_searches_and_backoff_is_honoured(cli: Cli, httpserver: HTTPServer, config) -> None:
    times: list[float] = []

    def handler(request: Request) -> Response:
        times.append(time.monotonic())
        return Response(json.dumps(answer(backoff=1)), content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(handler)

    result = fetch(cli, config({"arrays": '"sorted array" OR bisect'}))

    assert result.exit_code == 0, result.stderr
    assert [params(r)["q"] for r in asked(httpserver)] == ['"sorted array"', "bisect"]
    assert times[1] - times[0] >= 0.95  # the first answer said: back off for one second


def test_a_key_from_the_environment_is_sent_and_never_shown(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SE_TEST_KEY", "k3yk3yk3y")
    body = {
        "error_id": 403,
        "error_message": "key is not valid for passed access_token",
        "error_name": "access_denied",
    }
    httpserver.expect_request(PATH).respond_with_json(body, status=403)

    result = fetch(cli, config({"arrays": "array"}, key_env="SE_TEST_KEY"))

    assert params(asked(httpserver)[0])["key"] == "k3yk3yk3y"
    assert result.exit_code == 3
    assert (
        "Error: so: Stack Exchange refused the search (HTTP 403, access_denied: key is not valid for "
        "passed access_token): check the key in key_env"
    ) in result.stderr
    assert "k3yk3yk3y" not in result.stdout + result.stderr


def test_a_missing_key_variable_is_a_config_error(cli: Cli, httpserver: HTTPServer, config) -> None:
    result = fetch(cli, config({"arrays": "array"}, key_env="SE_TEST_KEY_UNSET"))

    assert result.exit_code == 2
    assert "environment variable SE_TEST_KEY_UNSET is not set (the Stack Exchange API key)" in result.stderr
    assert asked(httpserver) == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_without_a_key_fails_the_source(
    cli: Cli, httpserver: HTTPServer, config, status: int
) -> None:
    httpserver.expect_request(PATH).respond_with_data("<html>denied</html>", status=status)

    result = fetch(cli, config({"arrays": "array"}))

    assert result.exit_code == 3
    assert (
        f"Error: so: Stack Exchange refused the search (HTTP {status}): it needs no key, so this network "
        "is probably blocked: try again later"
    ) in result.stderr


def test_the_throttle_answer_skips_the_source_until_it_lifts(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    body = {
        "error_id": 502,
        "error_message": "too many requests from this IP, more requests available in 80254 seconds",
        "error_name": "throttle_violation",
    }
    httpserver.expect_request(PATH).respond_with_json(body, status=400)
    path = config({"arrays": "array"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert (
        "Error: so: Stack Exchange throttled us (HTTP 400, throttle_violation: too many requests from this "
        "IP, more requests available in 80254 seconds): set key_env to an API key's environment variable "
        "for a larger quota"
    ) in result.stderr

    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1
    assert again.exit_code == 0
    assert "Warning: so: rate limited by the site: skipped until " in again.stderr


def test_a_bad_parameter_quotes_the_api(cli: Cli, httpserver: HTTPServer, config) -> None:
    body = {"error_id": 400, "error_message": "site is required", "error_name": "bad_parameter"}
    httpserver.expect_request(PATH).respond_with_json(body, status=400)

    result = fetch(cli, config({"arrays": "array"}))

    assert result.exit_code == 3
    assert (
        "Error: so: Stack Exchange rejected the search (HTTP 400, bad_parameter: site is required)"
        in result.stderr
    )


def test_rate_limited_with_429(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_data("", status=429, headers={"Retry-After": "30"})

    result = fetch(cli, config({"arrays": "array"}))

    assert result.exit_code == 3
    assert "rate limited (HTTP 429), retry after 30 s" in result.stderr


def test_a_site_name_that_is_not_one_is_a_config_error(cli: Cli, config) -> None:
    result = fetch(cli, config({"arrays": "array"}, site="Stack Overflow"))

    assert result.exit_code == 2
    assert "'site' must be a site's API name like \"stackoverflow\", not 'Stack Overflow'" in result.stderr


def test_gzip_answers_are_read(cli: Cli, httpserver: HTTPServer, config) -> None:
    import gzip

    # the API always compresses its answers
    body = gzip.compress(json.dumps(answer()).encode())
    httpserver.expect_request(PATH).respond_with_data(
        body, content_type="application/json; charset=utf-8", headers={"Content-Encoding": "gzip"}
    )

    result = fetch(cli, config({"arrays": '"sorted array"'}))

    assert result.exit_code == 0, result.stderr
    assert "so: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    assert "gzip" in asked(httpserver)[0].headers["Accept-Encoding"]


@pytest.mark.parametrize(("site", "matched"), [("ru.stackoverflow", ["ru"]), ("stackoverflow", ["en"])])
def test_a_site_declares_its_language(
    cli: Cli, httpserver: HTTPServer, config, site: str, matched: list[str]
) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer())
    path = config({"ru": '"sorted array" lang:ru', "en": '"sorted array" lang:en'}, site=site)

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    assert {q for r in json.loads(result.stdout) for q in r["queries"]} == set(matched)
