"""A fetch that runs for minutes, and a person changing mentions meanwhile (the inbox, `mark`, `note`).

The fetch holds the database's lock only to open it and to save, so a change made during its
run is saved at once; the fetch's own save then goes onto it: both are kept.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mentionscan.store import open_store
from tests.conftest import Cli
from tests.hardening_tools import RawServer, cli_env, http_head, mentionscan_command, rss

pytestmark = pytest.mark.slow

RSS_TYPE = "application/rss+xml"
DATABASES = {"json": "mentions.json", "sqlite": "sqlite:///mentions.db"}


class Feeds:
    """`/quick` answers at once; `/held` waits until `release` is set (a slow site)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.quick_items = [{"title": "acme widgets review", "link": "https://blog.example/a"}]
        self.server = RawServer(self._handle)

    def _handle(self, conn: socket.socket, path: str) -> None:
        if path.startswith("/held"):
            self.release.wait(60)
            items = [{"title": "acme from the slow site", "link": "https://slow.example/b"}]
        else:
            items = self.quick_items
        body = rss(items)
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    made = Feeds()
    with made.server:
        yield made
        made.release.set()


def stored(folder: Path, database: str) -> dict[str, dict]:
    location = database if not database.startswith("sqlite") else f"sqlite:///{folder / 'mentions.db'}"
    path = folder / database if not database.startswith("sqlite") else location
    with open_store(path, write=False) as store:
        return {
            m.title: {"status": m.status, "queries": m.queries, "timeline": m.timeline}
            for m in store.mentions()
        }


def fetch_held_up(config: Path, home: Path, feeds: Feeds) -> subprocess.Popen[bytes]:
    """A real `fetch` in its own process, once it is waiting for the slow site's answer."""
    fetch = subprocess.Popen(
        mentionscan_command("fetch", "--config", str(config), "--quiet"),
        env=cli_env(home),
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not feeds.server.count("/held"):
        if time.monotonic() > deadline or fetch.poll() is not None:
            fetch.kill()
            pytest.fail(f"the fetch never asked the slow site: {fetch.communicate()}")
        time.sleep(0.01)
    return fetch


@pytest.mark.parametrize("backend", sorted(DATABASES))
def test_a_change_during_a_fetch_is_saved_at_once_and_kept_by_the_fetch(
    backend: str, feeds: Feeds, cli: Cli, write_config: Callable[..., Path], isolated_home: Path
) -> None:
    database = DATABASES[backend]
    sources = [{"name": "blog", "type": "feed", "url": feeds.server.url("/quick")}]
    # lock_timeout 0.5 s: a change that had to wait for the whole fetch would fail (exit 4).
    first = write_config({"acme": "acme"}, sources, settings={"database": database, "lock_timeout": 0.5})
    cli.json("fetch", "--config", str(first), "--format", "json")
    (mention,) = cli.json("list", "--config", str(first), "--format", "json")

    # The next run: the same post matches a second query now, and another site answers slowly.
    sources.append({"name": "slow", "type": "feed", "url": feeds.server.url("/held")})
    config = write_config(
        {"acme": "acme", "widgets": "widgets"},
        sources,
        settings={"database": database, "lock_timeout": 0.5},
    )
    fetch = fetch_held_up(config, isolated_home, feeds)
    try:
        marked = cli("mark", "--config", str(config), mention["id"][:7], "todo")
        noted = cli("note", "--config", str(config), mention["id"][:7], "asked them how it went")
        assert marked.exit_code == 0, marked.stderr
        assert noted.exit_code == 0, noted.stderr
        assert fetch.poll() is None  # saved while the fetch still runs
        assert stored(config.parent, database)["acme widgets review"]["status"] == "todo"
    finally:
        feeds.release.set()
        _, err = fetch.communicate(timeout=60)
    assert fetch.returncode == 0, err

    after = stored(config.parent, database)
    assert sorted(after) == ["acme from the slow site", "acme widgets review"]
    kept = after["acme widgets review"]
    assert kept["status"] == "todo"  # the person's change
    assert any(e.kind == "note" and e.text == "asked them how it went" for e in kept["timeline"])
    assert kept["queries"] == ("acme", "widgets")  # the fetch's merge of the new query


def test_two_fetches_still_take_turns(
    feeds: Feeds, cli: Cli, write_config: Callable[..., Path], isolated_home: Path
) -> None:
    config = write_config(
        {"acme": "acme"},
        [{"name": "slow", "type": "feed", "url": feeds.server.url("/held")}],
        settings={"lock_timeout": 0.5},
    )
    first = fetch_held_up(config, isolated_home, feeds)
    try:
        second = cli("fetch", "--config", str(config), "--quiet")
    finally:
        feeds.release.set()
        _, err = first.communicate(timeout=60)
    assert second.exit_code == 4
    assert "is in use by another mentionscan run (waited 0.5 s)" in second.stderr
    assert feeds.server.count("/held") == 1  # the second asked nothing
    assert first.returncode == 0, err
