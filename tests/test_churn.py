"""Feeds whose items change identity on every fetch: each item is still stored once (RELIABILITY A-28)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.hardening_tools import rss

RSS_TYPE = "application/rss+xml"
TITLES = [f"acme review {n}" for n in range(5)]

# Each makes the XML of one item, fresh on every request: what changes is all the item has for an identity.
CHURNS: dict[str, Callable[[int, str], dict[str, str]]] = {
    "no link, a random GUID": lambda n, nonce: {"guid": nonce},
    "a random ?sid= in the link": lambda n, nonce: {"link": f"https://news.example/story/{n}?sid={nonce}"},
    "a permalink GUID that changes": lambda n, nonce: {"guid": f"https://news.example/p/{n}/{nonce}"},
}


def churning_feed(server: HTTPServer, churn: str) -> str:
    counter = itertools.count()

    def answer(request: Request) -> Response:
        run = next(counter)
        items = []
        for n, title in enumerate(TITLES):
            item = {"title": title, "description": f"The text of review {n} of acme, by a stranger."}
            item.update(CHURNS[churn](n, f"{run}-{uuid.uuid4().hex}"))
            items.append(item)
        return Response(rss(items), content_type=RSS_TYPE)

    server.expect_request("/feed").respond_with_handler(answer)
    return f"http://127.0.0.1:{server.port}/feed"


@pytest.mark.parametrize("churn", CHURNS)
def test_a_feed_that_changes_its_items_identity_every_fetch_stores_each_item_once(
    cli: Cli, httpserver: HTTPServer, write_config, churn: str
) -> None:
    config = write_config(
        {"acme": "acme"}, [{"name": "churny", "type": "feed", "url": churning_feed(httpserver, churn)}]
    )
    first = cli.json("fetch", "--config", str(config), "--format", "json")
    assert sorted(m["title"] for m in first) == TITLES
    for _ in range(2):
        again = cli("fetch", "--config", str(config), "--format", "json")
        assert again.exit_code == 0, again.stderr
        assert again.stdout.strip() == "[]"  # nothing new on the second and third runs
        assert (
            "Warning: churny: 5 of its entries came back with a new link or id (it changes them on every "
            "fetch): recognised by their author, title and text, and not stored again"
        ) in again.stderr
    stored = cli.json("list", "--config", str(config), "--all", "--format", "json")
    assert sorted(m["title"] for m in stored) == TITLES
    assert len(httpserver.log) == 3


def test_different_items_with_the_same_words_from_different_authors_stay_apart(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    items = [
        {"title": "I love acme", "author": f"{who}@people.example ({who})", "guid": f"g-{who}"}
        for who in ("ann", "bob")
    ]
    httpserver.expect_request("/feed").respond_with_data(rss(items), content_type=RSS_TYPE)
    config = write_config(
        {"acme": "acme"}, [{"name": "f", "type": "feed", "url": f"http://127.0.0.1:{httpserver.port}/feed"}]
    )
    found = cli.json("fetch", "--config", str(config), "--format", "json")
    assert sorted(m["author"] for m in found) == ["ann", "bob"]
    again = cli("fetch", "--config", str(config), "--format", "json")
    assert (again.exit_code, again.stdout.strip()) == (0, "[]")
    assert "came back with a new link" not in again.stderr
