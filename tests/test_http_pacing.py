"""A paced host: waiting for one's turn must not count against a request's deadline."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.fetching.http import HttpClient


def test_queued_requests_to_a_paced_host_do_not_time_out(httpserver: HTTPServer) -> None:
    arrivals: list[float] = []

    def handler(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response("ok")

    httpserver.expect_request("/search").respond_with_handler(handler)
    # 120 a minute is one every 0.5 s: the sixth request waits 2.5 s, past the 1 s deadline.
    client = HttpClient(Settings(user_agent="test", deadline=1.0, per_host=4))

    def one(_: int) -> str:
        try:
            return client.get(httpserver.url_for("/search"), rate_per_minute=120).body.decode()
        except FetchError as exc:
            return str(exc)

    with client, ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(6)))
    assert answers == ["ok"] * 6
    gaps = [b - a for a, b in zip(sorted(arrivals), sorted(arrivals)[1:], strict=False)]
    assert len(gaps) == 5 and min(gaps) > 0.4  # still paced
