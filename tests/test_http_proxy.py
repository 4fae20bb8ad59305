"""A proxy named in the environment carries the run's requests, as requests' own rules say."""

from __future__ import annotations

import socket

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id>
<updated>2026-11-30T08:00:00Z</updated>
<entry><title>Trying Acme for the first time</title><id>urn:blog:1</id>
<link href="http://feeds.example/posts/1"/><updated>2026-11-30T08:00:00Z</updated>
<summary>We tried Acme this week.</summary></entry></feed>"""


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_carries_the_fetch(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # The proxy is a server on 127.0.0.1: a proxied request names the feed's host in its
    # request line, and no name but the proxy's is ever resolved (were the proxy skipped, the
    # fetch fails here, asking no resolver).
    real = socket.getaddrinfo

    def loopback_only(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("127.0.0.1", "localhost"):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: not resolved in this test")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    httpserver.expect_request("/atom.xml").respond_with_data(ATOM, content_type="application/atom+xml")
    monkeypatch.setenv(variable, httpserver.url_for("/").rstrip("/"))
    path = write_config(
        {"acme": "acme"}, [{"name": "blog", "type": "feed", "url": "http://feeds.example/atom.xml"}]
    )

    found = cli.json("fetch", "--config", str(path), "--format", "json", code=0)

    assert [m["title"] for m in found] == ["Trying Acme for the first time"]
    [(request, _)] = httpserver.log
    assert request.headers["Host"] == "feeds.example"
