"""The `feed` source's `base_url`: like every type's, it replaces the scheme and host of `url`."""

from __future__ import annotations

import socket
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import Cli, fixture_bytes
from tests.sourcetools import FAST, asked, params, stored

FEED = "mastodon/mastodon_tag_rss_kubernetes_hachyderm_2023_feeddeck.xml"


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: a request there fails at once and leaves the machine never."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def feed_config(write_config, httpserver: HTTPServer) -> Path:
    source = {
        "name": "blog",
        "type": "feed",
        # the feed's real address: never asked once base_url points elsewhere
        "url": f"http://127.0.0.1:{closed_port()}/tags/kubernetes.rss?limit=20",
        "base_url": httpserver.url_for("/mirror"),
        "rate_per_minute": FAST,
    }
    return write_config({"k8s": "kubernetes"}, [source])


def test_base_url_replaces_the_feeds_scheme_and_host_and_keeps_its_path_and_query(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/mirror/tags/kubernetes.rss").respond_with_data(
        fixture_bytes(FEED), content_type="application/rss+xml"
    )
    path = feed_config(write_config, httpserver)

    result = cli("fetch", "--config", str(path), "--format", "json")

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)
    assert request.path == "/mirror/tags/kubernetes.rss"
    assert params(request) == {"limit": "20"}
    assert stored(path)  # the mirror's entries were read and matched


def test_doctor_asks_the_feed_at_base_url_too(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request("/mirror/tags/kubernetes.rss").respond_with_data(
        fixture_bytes(FEED), content_type="application/rss+xml"
    )
    path = feed_config(write_config, httpserver)

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 0, result.stdout
    assert [r.path for r in asked(httpserver)] == ["/mirror/tags/kubernetes.rss"]


def test_without_base_url_the_url_is_asked_as_written(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request("/tags/kubernetes.rss").respond_with_data(
        fixture_bytes(FEED), content_type="application/rss+xml"
    )
    url = httpserver.url_for("/tags/kubernetes.rss") + "?limit=20&x=%2F"
    path = write_config({"k8s": "kubernetes"}, [{"name": "blog", "type": "feed", "url": url}])

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    [request] = asked(httpserver)
    assert request.query_string == b"limit=20&x=%2F"
