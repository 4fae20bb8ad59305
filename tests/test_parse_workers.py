"""A run of many feeds parses and screens them in worker processes: what it stores and reports is
what a run of one feed at a time stores and reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from pytest_httpserver import HTTPServer

from mentionscan.fetching.scheduler import PARSE_IN_PROCESSES_AFTER
from tests.conftest import Cli
from tests.hardening_tools import rss

FEEDS = PARSE_IN_PROCESSES_AFTER + 4  # enough to start the parse workers


def feed(n: int) -> bytes:
    now = datetime.now(UTC)
    items = [
        ("we moved to acme", now - timedelta(hours=n + 1)),
        ("nothing to see", now - timedelta(hours=2)),
        ("acme, long ago", now - timedelta(days=400)),
    ]
    return rss(
        {
            "title": title,
            "link": f"https://blog{n}.example/{i}",
            "guid": f"blog{n}-{i}",
            "pubDate": format_datetime(when, usegmt=True),
            "author": f"w{n}@blog{n}.example (Writer {n})",
        }
        for i, (title, when) in enumerate(items)
    )


def test_feeds_screened_in_the_workers_are_stored_and_reported_like_one_feed(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    for n in range(FEEDS):
        httpserver.expect_request(f"/f{n}").respond_with_data(feed(n), content_type="application/rss+xml")
    urls = [httpserver.url_for(f"/f{n}") for n in range(FEEDS)]
    sources = [{"name": f"blog{n}", "type": "feed", "url": url} for n, url in enumerate(urls)]
    many = write_config({"acme": "acme"}, sources, settings={"max_age_days": 30})
    alone_db = {"max_age_days": 30, "database": "one.json"}
    one = write_config({"acme": "acme"}, sources[:1], settings=alone_db, name="one.toml")

    result = cli("fetch", "--config", str(many), "--format", "json")
    assert result.exit_code == 0, result.stderr
    for n in range(FEEDS):
        assert f"blog{n}: 3 entries, 1 matched, 1 new, 1 not a match, 1 too old" in result.stderr
    found = cli.json("export", "--config", str(many), "--format", "json", code=0)
    assert sorted(m["url"] for m in found) == sorted(f"https://blog{n}.example/0" for n in range(FEEDS))
    first = next(m for m in found if m["url"] == "https://blog0.example/0")
    assert (first["title"], first["author"], first["author_email"]) == (
        "we moved to acme",
        "Writer 0",
        "w0@blog0.example",
    )

    alone = cli("fetch", "--config", str(one), "--format", "json")
    assert alone.exit_code == 0, alone.stderr
    assert "blog0: 3 entries, 1 matched, 1 new, 1 not a match, 1 too old" in alone.stderr
