"""`deadline` bounds a whole source, as the README says: every task, search, page, retry and redirect
of it shares one clock (issue 11: with `deadline = 30`, `fetch --source github` took 66 s, and a
source with more queries 3 min 21 s). Scaled down: a server that takes 0.5 s per answer.
"""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.searchtools import FAST

PATH = "/hn/api/v1/search_by_date"
EMPTY = '{"hits": [], "nbHits": 0, "nbPages": 0, "page": 0, "hitsPerPage": 100}'


@pytest.mark.slow
def test_every_request_of_a_source_shares_its_one_deadline(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response(EMPTY, 200, {"Content-Type": "application/json"})

    httpserver.expect_request(PATH).respond_with_handler(slow)
    source = {
        "name": "hn",
        "type": "hackernews",
        "base_url": httpserver.url_for("/hn"),
        "rate_per_minute": FAST,
    }
    # Algolia has no OR: 2 queries of 3 alternatives are 6 searches, 3 s of the server's time
    queries = {"one": "alpha OR beta OR gamma", "two": "epsilon OR zeta OR eta"}
    path = write_config(queries, [source], settings={"deadline": 2, "timeout": 5})

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 3, result.stderr
    assert "gave up after 2 s" in result.stderr
    asked = sum(1 for r, _ in httpserver.log if r.args.get("query") in queries["one"] + queries["two"])
    assert asked < 6  # the source stopped at its deadline: the rest were never asked
    assert asked >= 2  # and did not stop before it


@pytest.mark.slow
def test_waiting_for_the_sites_pacing_is_not_counted(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request(PATH).respond_with_data(EMPTY, content_type="application/json")
    # 40 a minute: 1.5 s between searches, 4 searches: 4.5 s of waiting for turns, deadline 2 s
    source = {
        "name": "hn",
        "type": "hackernews",
        "base_url": httpserver.url_for("/hn"),
        "rate_per_minute": 40,
    }
    path = write_config({"one": "iota OR kappa OR lambda OR mu"}, [source], settings={"deadline": 2})

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    words = [r.args.get("query") for r, _ in httpserver.log]
    assert sorted(w for w in words if w in ("iota", "kappa", "lambda", "mu")) == [
        "iota",
        "kappa",
        "lambda",
        "mu",
    ]
