"""Source failure alerts: one alert after `alert_after` failed runs in a row, one when it works again.

Run by run through the CLI, with a feed on 127.0.0.1 that answers 404 until it is fixed, and
the alert channels as receivers; never one alert per run.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.followuptools import POSTS, local_base, rss
from tests.notifytools import Receiver, notify_table


class Forum:
    """A feed that is broken (404) until `fixed`."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.broken = True
        self.base = local_base(httpserver)
        httpserver.expect_request("/forum.rss").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        if self.broken:
            return Response("gone fishing", status=404)
        return Response(rss(self.base, POSTS[:1]), content_type="application/rss+xml")


@pytest.fixture
def forum(httpserver: HTTPServer) -> Forum:
    return Forum(httpserver)


@pytest.fixture
def sources(httpserver: HTTPServer, forum: Forum, write_config: Callable[..., Path]) -> Callable[..., Path]:
    base = local_base(httpserver)
    httpserver.expect_request("/blog.rss").respond_with_data(
        rss(base, POSTS[1:3]), content_type="application/rss+xml"
    )

    def make(*channels: str) -> Path:
        feeds = [
            {"name": "blog", "type": "feed", "url": base + "/blog.rss"},
            {"name": "forum", "type": "feed", "url": base + "/forum.rss"},
        ]
        return write_config({"acme": "acme"}, feeds, extra="".join(channels))

    return make


def json_url(httpserver: HTTPServer, path: str) -> str:
    return f"json://127.0.0.1:{httpserver.port}{path}"


@pytest.mark.slow
def test_one_alert_after_three_failed_runs_and_one_when_the_source_works_again(
    cli: Cli,
    httpserver: HTTPServer,
    forum: Forum,
    sources: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ops = Receiver(httpserver, "/ops")
    team = Receiver(httpserver, "/team")
    monkeypatch.setenv("OPS_URL", json_url(httpserver, "/ops"))
    monkeypatch.setenv("TEAM_URL", json_url(httpserver, "/team"))
    config = sources(
        notify_table("ops", url_env="OPS_URL", alerts=True, queries=[]),  # alerts only
        notify_table("team", url_env="TEAM_URL"),
    )

    def run() -> str:
        result = cli("fetch", "--config", str(config), "--notify", "--quiet", "--format", "json")
        assert result.exit_code == (3 if forum.broken else 0), result.stderr
        return result.stderr

    run()
    run()
    assert not ops.posted  # two failures in a row: not yet
    assert len(team.accepted) == 1  # the blog's mentions went on all the same

    third = run()

    [alert] = ops.accepted
    assert alert.json()["title"] == "mentionscan: source forum is failing"
    assert "forum has failed 3 runs in a row" in alert.text
    assert "not found (HTTP 404)" in alert.text
    assert "mentionscan doctor --source forum" in alert.text
    assert "Error: forum:" in third  # the fetch's own line for the failing source
    for _ in range(3):
        run()
    assert len(ops.posted) == 1  # never one per run

    forum.broken = False
    back = cli("fetch", "--config", str(config), "--notify")

    assert back.exit_code == 0, back.stderr
    assert "ops (JSON): alert sent: mentionscan: source forum works again" in back.stderr
    assert [p.json()["title"] for p in ops.accepted][1:] == ["mentionscan: source forum works again"]
    assert "forum works again." in ops.accepted[1].text
    run()
    assert len(ops.posted) == 2
    assert all("source forum" not in p.json()["title"] for p in team.posted)  # alerts = false: none there


def test_an_alert_the_channel_could_not_take_goes_with_the_next_run(
    cli: Cli,
    httpserver: HTTPServer,
    forum: Forum,
    sources: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mentionscan.delivery.notify.RETRY_DELAYS", (0.01, 0.01))
    ops = Receiver(httpserver, "/ops", answers=[500, 500, 500])
    monkeypatch.setenv("OPS_URL", json_url(httpserver, "/ops"))
    config = sources(notify_table("ops", url_env="OPS_URL", alerts=True, alert_after=1, queries=[]))

    first = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert first.exit_code == 3
    assert (
        "Error: notify ops (JSON): JSON answered HTTP 500 Internal Server Error (after 3 tries)"
        in first.stderr
    )
    assert not ops.accepted

    second = cli("notify", "--config", str(config))  # no fetch: from what the database remembers

    assert second.exit_code == 0, second.stderr
    [alert] = ops.accepted
    assert "forum has failed 1 run in a row" in alert.text
    assert cli("notify", "--config", str(config)).exit_code == 0
    assert len(ops.accepted) == 1


def test_a_webhook_gets_alerts_as_signed_events(
    cli: Cli,
    httpserver: HTTPServer,
    forum: Forum,
    sources: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = Receiver(httpserver, "/events")
    monkeypatch.setenv("HOOK_SECRET", "k3y")
    table = notify_table(
        "events",
        type="webhook",
        url=f"http://127.0.0.1:{httpserver.port}/events",
        secret_env="HOOK_SECRET",
        alerts=True,
        alert_after=1,
        queries=[],
    )
    config = sources(table)

    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 3
    forum.broken = False
    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0

    failing, recovered = hook.accepted
    assert failing.headers["X-Mentionscan-Event"] == "source.failing"
    assert failing.json() == {
        "event": "source.failing",
        "failing": [
            {
                "source": "forum",
                "runs": 1,
                "error": f"{local_base(httpserver)}/forum.rss: not found (HTTP 404)",
            }
        ],
        "recovered": [],
    }
    assert recovered.headers["X-Mentionscan-Event"] == "source.recovered"
    assert recovered.json() == {"event": "source.recovered", "failing": [], "recovered": ["forum"]}
    for posted in hook.accepted:
        digest = hmac.new(b"k3y", posted.body, hashlib.sha256).hexdigest()
        assert posted.headers["X-Mentionscan-Signature"] == digest
