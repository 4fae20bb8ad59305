"""A digest stays small enough to be delivered: each mention's part is capped, the message too, and a
server that answers 552 (too large) gets a smaller digest, never the same refusal every day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mentionscan.dedup import mention_id
from mentionscan.models import Mention
from tests.mailtools import QUERIES, StoringHandler, email_table, parts, read_store, smtp_server, write_store

NOW = datetime.now(UTC).replace(microsecond=0)


def hostile(n: int, now: datetime) -> Mention:
    """What one hostile fetch stores: a mention whose link and author's link are 3,000 characters each."""
    key = f"k{n}"
    return Mention(
        id=mention_id(key),
        url=f"https://flood.example/{n}?" + "a" * 3_000,
        title=f"acme flood {n} " + "word " * 1_000,
        snippet="acme " + "x" * 5_000,
        author="Flooder " * 50,
        author_url="https://flood.example/~f?" + "b" * 3_000,
        author_email="f" * 300 + "@flood.example",
        published=None,
        found_at=now - timedelta(seconds=n // 100),
        source="blog",
        source_type="feed",
        queries=("acme",),
    )


def config_for(write_config: Callable[..., Path], port: int) -> Path:
    return write_config(
        QUERIES,
        [{"name": "blog", "type": "feed", "url": "http://127.0.0.1:9/feed.xml"}],
        extra=email_table(smtp_port=port),
    )


@dataclass
class RefusingHandler(StoringHandler):
    """Answers 552 to any message over `limit` bytes, without announcing a SIZE."""

    limit: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(envelope.original_content) > self.limit:
            return "552 5.3.4 Message size exceeds fixed limit"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.slow
def test_a_flood_of_huge_mentions_makes_one_capped_digest_and_marks_them_all(
    write_config: Callable[..., Path], cli: Any
) -> None:
    config = config_for(write_config, 0)
    database = config.parent / "mentions.json"
    now = datetime.now(UTC).replace(microsecond=0)
    write_store(database, [hostile(n, now) for n in range(1_000)])
    with smtp_server() as server:
        config = config_for(write_config, server.port)
        result = cli("digest", "--config", str(config), "--send")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.startswith("Digest of 1000 mentions sent to founder@example.com")
        raw = server.only().raw
        assert len(raw) < 2_000_000
        message = server.only().message
        assert message["Subject"] == "mentionscan: 1000 new mentions (acme 1000)"
        text, html = parts(message)
        shown = [line for line in text.splitlines() if line.startswith("* ")]
        assert 0 < len(shown) <= 300
        more = f"… and {1_000 - len(shown):,} more mentions, not shown"
        assert more in text and more in html and "`mentionscan list` shows them all." in text
        assert "flood.example/0?" not in text  # links past 2,000 characters are no links
        assert "just now" in text and "now ago" not in text
    stored = read_store(database)
    assert all(m.digested_at is not None for m in stored.values())  # the next digest is not the same flood
    counted = [m for m in stored.values() if "counted (not shown" in m.timeline[-1].text]
    assert len(counted) == 1_000 - len(shown)
    again = cli("digest", "--config", str(config), "--send")
    assert (again.exit_code, "Nothing new since the last digest: no email." in again.stderr) == (0, True)


@pytest.mark.parametrize("how", ["announced SIZE", "552 after the data"])
def test_a_server_that_refuses_the_size_gets_a_smaller_digest(
    write_config: Callable[..., Path], cli: Any, how: str
) -> None:
    limit = 60_000
    mentions = [
        Mention(
            id=mention_id(f"m{n}"),
            url=f"https://blog.example/{n}",
            title=f"acme post {n}",
            snippet="acme " + "snippet words " * 25,
            author="Ann",
            author_url=None,
            author_email=None,
            published=None,
            found_at=NOW - timedelta(minutes=n),
            source="blog",
            source_type="feed",
            queries=("acme",),
        )
        for n in range(200)
    ]
    kwargs: dict[str, Any] = (
        {"data_size_limit": limit}
        if how == "announced SIZE"
        else {"handler": RefusingHandler(limit=limit), "data_size_limit": None}
    )
    with smtp_server(**kwargs) as server:
        config = config_for(write_config, server.port)
        write_store(config.parent / "mentions.json", mentions)
        result = cli("digest", "--config", str(config), "--send")
        assert result.exit_code == 0, result.stderr
        received = server.only()
        assert len(received.raw) <= limit
        text, _ = parts(received.message)
        shown = [line for line in text.splitlines() if line.startswith("* ")]
        assert 0 < len(shown) < 200
        assert f"… and {200 - len(shown)} more mentions, not shown" in text
        assert received.message["Subject"] == "mentionscan: 200 new mentions (acme 200)"
    assert all(m.digested_at is not None for m in read_store(config.parent / "mentions.json").values())


def test_a_server_that_refuses_even_a_digest_of_counts_fails_once_and_marks_nothing(
    write_config: Callable[..., Path], cli: Any
) -> None:
    with smtp_server(handler=RefusingHandler(limit=100), data_size_limit=None) as server:
        config = config_for(write_config, server.port)
        database = config.parent / "mentions.json"
        write_store(database, [hostile(n, NOW) for n in range(3)])
        result = cli("digest", "--config", str(config), "--send")
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: cannot send the digest through 127.0.0.1:{server.port}: the server answered 552 "
            "5.3.4 Message size exceeds fixed limit; even a digest that only counts the mentions was "
            "too large\n"
        )
        assert server.received == []
    assert all(m.digested_at is None for m in read_store(database).values())
