"""What each request carries, as a server sees it: the run's headers, a source's own headers, the
URL's credentials, the cookies a server set earlier in the run, and the query parameters."""

from __future__ import annotations

import base64

from pytest_httpserver import HTTPServer

from mentionscan.config.model import Settings
from mentionscan.fetching.http import HttpClient


def test_a_request_carries_the_run_headers_and_its_own_over_them(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/f").respond_with_data("ok")
    with HttpClient(Settings(user_agent="mentionscan-test/1")) as client:
        client.get(httpserver.url_for("/f"), headers={"accept": "application/json", "X-Extra": "1"})
        client.get(httpserver.url_for("/f"), headers={"user-agent": "a source's own"})
    first, second = (request.headers for request, _ in httpserver.log)
    assert first["User-Agent"] == "mentionscan-test/1"
    assert first["Accept"] == "application/json"
    assert first["X-Extra"] == "1"
    assert second["User-Agent"] == "a source's own"  # one header, whatever its case
    assert "X-Extra" not in second  # one request's headers are not the next one's


def test_cookies_a_server_set_go_back_to_it_for_the_rest_of_the_run(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/login").respond_with_data(
        "ok", headers={"Set-Cookie": "seen=1; Path=/"}
    )
    httpserver.expect_ordered_request("/f").respond_with_data("ok")
    with HttpClient() as client:
        client.get(httpserver.url_for("/login"))
        client.get(httpserver.url_for("/f"))
    first, second = (request for request, _ in httpserver.log)
    assert "Cookie" not in first.headers
    assert second.headers["Cookie"] == "seen=1"
    with HttpClient() as fresh:  # a new run starts without them
        httpserver.expect_request("/g").respond_with_data("ok")
        fresh.get(httpserver.url_for("/g"))
    assert "Cookie" not in httpserver.log[-1][0].headers


def test_the_url_credentials_and_the_parameters_are_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search").respond_with_data("ok")
    url = httpserver.url_for("/search").replace("http://", "http://me:s%40cret@")
    with HttpClient() as client:
        client.get(url, params={"q": "acme corp", "page": 2})
        client.get(httpserver.url_for("/search"), params={})
    (request, _), (bare, _) = httpserver.log
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"me:s@cret").decode()
    assert request.args.to_dict() == {"q": "acme corp", "page": "2"}
    assert "Authorization" not in bare.headers
    assert bare.query_string == b""
