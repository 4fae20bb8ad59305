"""`doctor` judges an answer's body as `fetch` does; `test-query --fetch --source` asks that source only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from tests.conftest import DATA, Cli
from tests.sourcetools import asked

HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Small tools</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Small tools: posts" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="https://blog.example/comments.atom">
<link rel="alternate" hreflang="de" href="/de/">
</head><body><article><h2>Hello</h2><item><title>acme in a page</title></item></article></body></html>
"""


def one_feed(write_config: Any, url: str) -> Path:
    return write_config({"acme": "acme"}, [{"name": "blog", "type": "feed", "url": url}])


def test_doctor_fails_a_home_page_and_names_the_feeds_it_advertises(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    httpserver.expect_request("/").respond_with_data(HOME_PAGE, content_type="text/html; charset=utf-8")
    config = one_feed(write_config, httpserver.url_for("/"))
    result = cli("doctor", "--config", str(config))
    assert result.exit_code == 3, result.stderr
    row = result.stdout.splitlines()[1].split()
    assert row[:4] == ["blog", "feed", "FAILED", "200"]
    feed = httpserver.url_for("/feed.xml")
    assert (
        f"error: {httpserver.url_for('/')}: not a feed (the server sent an HTML page); it advertises feeds: "
        f"{feed}, https://blog.example/comments.atom (put that in `url`)"
    ) in result.stdout
    # fetch says the same of the same page
    fetched = cli("fetch", "--config", str(config))
    assert fetched.exit_code == 3 and f"it advertises feeds: {feed}" in fetched.stderr


def test_doctor_fails_an_empty_answer_and_passes_a_real_feed(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    httpserver.expect_request("/empty").respond_with_data("", content_type="application/rss+xml")
    empty = cli("doctor", "--config", str(one_feed(write_config, httpserver.url_for("/empty"))))
    assert empty.exit_code == 3
    assert "FAILED" in empty.stdout and "empty response" in empty.stdout
    httpserver.expect_request("/feed.xml").respond_with_data(
        (DATA / "rss20.xml").read_bytes(), content_type="application/rss+xml"
    )
    good = cli("doctor", "--config", str(one_feed(write_config, httpserver.url_for("/feed.xml"))))
    assert good.exit_code == 0, good.stdout
    assert good.stdout.splitlines()[1].split()[:4] == ["blog", "feed", "OK", "200"]


def test_test_query_fetch_asks_only_the_source_named(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    body = (DATA / "rss20.xml").read_bytes()
    for path in ("/one.xml", "/two.xml"):
        httpserver.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
    config = write_config(
        {"acme": "acme"},
        [
            {"name": "one", "type": "feed", "url": httpserver.url_for("/one.xml")},
            {"name": "two", "type": "feed", "url": httpserver.url_for("/two.xml")},
        ],
    )
    result = cli(
        "test-query", "acme", "--fetch", "--source", "two", "--config", str(config), "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert [request.path for request in asked(httpserver)] == ["/two.xml"]
    assert "(nothing stored)" in result.stderr
    typo = cli("test-query", "acme", "--fetch", "--source", "tow", "--config", str(config))
    assert (
        typo.exit_code == 2
        and "no source named 'tow'" in typo.stderr
        and "did you mean 'two'?" in typo.stderr
    )
    assert len(asked(httpserver)) == 1
