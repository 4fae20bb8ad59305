"""The `github` source against a server on 127.0.0.1 replaying real /search/issues answers."""

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


PATH = "/gh/search/issues"
ISSUES = "github/search_issues_octokit_fixtures_normalized.json"  # q=sesame, two issues


def pull_request() -> dict[str, Any]:
    """A pull request in the same shape as the recorded issues (search answers carry `pull_request`)."""
    item = copy.deepcopy(fixture_json(ISSUES)["items"][1])
    base = "octokit-fixture-org/search-issues"
    item.update(
        id=1002,
        number=3,
        title="Sesame: more seeds per bun",
        body="<!-- Describe your change -->\r\nFixes #2 by adding **more** seeds.",
        html_url=f"https://github.com/{base}/pull/3",
        created_at="2017-10-11T09:30:00Z",
        labels=[{"id": 1, "name": "enhancement", "color": "a2eeef", "default": True, "description": None}],
        pull_request={
            "url": f"https://api.github.com/repos/{base}/pulls/3",
            "html_url": f"https://github.com/{base}/pull/3",
            "diff_url": f"https://github.com/{base}/pull/3.diff",
            "patch_url": f"https://github.com/{base}/pull/3.patch",
            "merged_at": None,
        },
    )
    return item


def handler(request: Request) -> Response:
    if "is:pull-request" in request.args["q"]:
        data = {"total_count": 1, "incomplete_results": False, "items": [pull_request()]}
    else:
        data = fixture_json(ISSUES)
    return Response(json.dumps(data), content_type="application/json")


@pytest.fixture
def config(httpserver: HTTPServer, write_config):
    def make(queries: dict[str, str], **options: Any) -> Path:
        source = {
            "name": "gh",
            "type": "github",
            "base_url": httpserver.url_for("/gh"),
            "rate_per_minute": FAST,
        }
        source.update(options)
        return write_config(queries, [source], settings=SETTINGS)

    return make


def fetch(cli: Cli, config: Path):
    return cli("fetch", "--config", str(config), "--format", "json")


def test_issues_and_pull_requests_every_field_and_the_cursor(
    cli: Cli, httpserver: HTTPServer, config
) -> None:
    httpserver.expect_request(PATH).respond_with_handler(handler)
    path = config({"sesame": "sesame -doors"})

    result = fetch(cli, path)

    assert result.exit_code == 0, result.stderr
    first = asked(httpserver)
    assert [r.path for r in first] == [PATH, PATH]
    assert [params(r) for r in first] == [
        {"q": f"sesame NOT doors is:{kind}", "sort": "created", "order": "desc", "per_page": "100"}
        for kind in ("issue", "pull-request")
    ]
    for request in first:
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert "Authorization" not in request.headers
    # "The doors don't open" says "open sesame" to GitHub's search, but our query excludes doors
    assert "gh: 3 entries, 2 matched, 2 new, 1 not a match" in result.stderr
    issue_url = "https://github.com/octokit-fixture-org/search-issues/issues/2"
    pr_url = "https://github.com/octokit-fixture-org/search-issues/pull/3"
    got = records(result.stdout)
    common = {
        "author_email": None,
        "source": "gh",
        "source_type": "github",
        "queries": ["sesame"],
        "status": "new",
        "link": None,
        "related": [],
    }
    assert got == {
        issue_url: {
            "id": record_id("github.com/octokit-fixture-org/search-issues/issues/2"),
            "url": issue_url,
            "title": "Sesame seeds split without a pop!",
            "snippet": "I’ve waited all year long, but there was no pop 😭",
            "author": "octokit-fixture-user-b",
            "author_url": "https://github.com/octokit-fixture-user-b",
            "published": "2017-10-10T16:00:00Z",
            **common,
        },
        pr_url: {
            "id": record_id("github.com/octokit-fixture-org/search-issues/pull/3"),
            "url": pr_url,
            "title": "Sesame: more seeds per bun",
            "snippet": "Fixes #2 by adding **more** seeds.",  # the template's HTML comment is gone
            "author": "octokit-fixture-user-a",
            "author_url": "https://github.com/octokit-fixture-user-a",
            "published": "2017-10-11T09:30:00Z",
            **common,
        },
    }
    kept = stored(path)
    assert sorted(kept) == sorted(got)
    assert kept[pr_url].tags == ("enhancement",)  # labels are tags: `tag:enhancement` matches them
    assert "n:gh:1002" in kept[pr_url].keys
    assert stored_state(path, "task:gh\x1fsesame") == {"cursors": {"": "2017-10-11T09:30:00Z"}}

    again = fetch(cli, path)

    assert again.exit_code == 0, again.stderr
    assert [params(r)["q"] for r in asked(httpserver)[2:]] == [
        f"sesame NOT doors is:{kind} created:>=2017-10-11T08:30:00Z" for kind in ("issue", "pull-request")
    ]
    assert again.stdout.strip() == "[]"
    assert len(stored(path)) == 2


def test_alternatives_are_grouped_before_the_qualifiers(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_handler(handler)

    result = fetch(cli, config({"sesame": "sesame OR bun"}))

    assert result.exit_code == 0, result.stderr
    assert params(asked(httpserver)[0])["q"] == "(sesame OR bun) is:issue"


def test_a_token_from_the_environment_is_sent_and_never_shown(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TEST_TOKEN", "ghp_s3cr3tvalue")
    httpserver.expect_request(PATH).respond_with_handler(handler)

    result = fetch(cli, config({"sesame": "sesame"}, token_env="GH_TEST_TOKEN"))

    assert result.exit_code == 0, result.stderr
    assert {r.headers["Authorization"] for r in asked(httpserver)} == {"Bearer ghp_s3cr3tvalue"}
    assert "s3cr3t" not in result.stdout + result.stderr


def test_a_missing_token_variable_is_a_config_error_before_any_request(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TEST_TOKEN", raising=False)

    result = fetch(cli, config({"sesame": "sesame"}, token_env="GH_TEST_TOKEN"))

    assert result.exit_code == 2
    assert (
        "environment variable GH_TEST_TOKEN is not set (a GitHub token for the search API)" in result.stderr
    )
    assert asked(httpserver) == []


def test_without_a_token_a_403_says_to_set_one(cli: Cli, httpserver: HTTPServer, config) -> None:
    httpserver.expect_request(PATH).respond_with_json({"message": "Forbidden"}, status=403)

    result = fetch(cli, config({"sesame": "sesame"}))

    assert result.exit_code == 3
    assert (
        "Error: gh: GitHub refused the search (HTTP 403: Forbidden): "
        "set token_env to a token's environment variable"
    ) in result.stderr


def test_a_refused_token_says_which_variable(
    cli: Cli, httpserver: HTTPServer, config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TEST_TOKEN", "ghp_expired")
    httpserver.expect_request(PATH).respond_with_json({"message": "Bad credentials"}, status=401)

    result = fetch(cli, config({"sesame": "sesame"}, token_env="GH_TEST_TOKEN"))

    assert result.exit_code == 3
    assert (
        "Error: gh: GitHub did not accept the token in $GH_TEST_TOKEN (HTTP 401): "
        "check that it is valid and not expired"
    ) in result.stderr
    assert "ghp_expired" not in result.stderr


@pytest.mark.parametrize("status", [403, 429])
def test_a_used_up_rate_limit_is_waited_out(cli: Cli, httpserver: HTTPServer, config, status: int) -> None:
    reset = int(time.time()) + 300
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    body = {"message": "API rate limit exceeded for 127.0.0.1."}
    httpserver.expect_request(PATH).respond_with_json(body, status=status, headers=headers)
    path = config({"sesame": "sesame"})

    result = fetch(cli, path)

    assert result.exit_code == 3
    assert f"Error: gh: GitHub's search rate limit is used up (HTTP {status}), retry after " in result.stderr
    assert "set token_env to a token's environment variable for 30 a minute" in result.stderr

    again = fetch(cli, path)

    assert len(asked(httpserver)) == 1
    assert again.exit_code == 0
    assert "Warning: gh: rate limited by the site: skipped until " in again.stderr


def test_a_rejected_query_quotes_github(cli: Cli, httpserver: HTTPServer, config) -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"message": "Query must include 'is:issue' or 'is:pull-request'", "code": "invalid"}],
        "status": "422",
    }
    httpserver.expect_request(PATH).respond_with_json(body, status=422)

    result = fetch(cli, config({"sesame": "sesame"}))

    assert result.exit_code == 3
    assert (
        "Error: gh: GitHub rejected the search 'sesame is:issue' (HTTP 422): "
        "Validation Failed: Query must include 'is:issue' or 'is:pull-request'"
    ) in result.stderr
