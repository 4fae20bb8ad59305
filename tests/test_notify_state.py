"""Each channel's record of what it took: exact at the clock's one-second grain, and the retry policy.

`run_notify` is called with fixed times here, so that runs in the same second as the mentions
they send (a `fetch --notify` and a `notify` right after it) are tested on purpose, not by luck.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.config.load import parse_config
from mentionscan.config.model import Config
from mentionscan.delivery.chat import Delivery
from mentionscan.delivery.notify import MAX_RETRY_WAIT, RETRY_DELAYS, ChannelState, deliver, run_notify
from mentionscan.delivery.sending import Outcome
from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.notifytools import Receiver, ids_in

T = datetime(2026, 11, 23, 7, 0, 0, tzinfo=UTC)


def mention(n: int, found_at: datetime) -> Mention:
    return Mention(
        id=f"{n:07d}abcdef",
        url=f"https://blog.example.org/{n}",
        title=f"Acme post {n}",
        snippet="acme",
        author=None,
        author_url=None,
        author_email=None,
        published=found_at,
        found_at=found_at,
        source="blog",
        source_type="feed",
        queries=("acme",),
        keys=(f"url:blog.example.org/{n}",),
    )


@pytest.fixture
def team_channel(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Config, Receiver]:
    """A config with one channel, "team", on a json:// receiver."""
    team = Receiver(httpserver, "/team")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{httpserver.port}/team")
    config = parse_config(
        {"queries": [{"name": "acme", "match": "acme"}], "notify": [{"name": "team", "url_env": "TEAM_URL"}]},
        tmp_path / "config.toml",
    )
    return config, team


@pytest.mark.parametrize("backend", ["json", "sqlite"])
def test_runs_in_the_same_second_send_each_mention_once(
    team_channel: tuple[Config, Receiver], tmp_path: Path, backend: str
) -> None:
    config, team = team_channel
    location = tmp_path / "m.json" if backend == "json" else f"sqlite:///{tmp_path / 'm.db'}"

    def run(now: datetime, *new: Mention) -> None:
        with open_store(location, write=True) as store:
            for m in new:
                store.put(m)
            store.save()
            result = run_notify(store, config, now=now, start=T)
        assert not result.failed

    run(T, mention(1, T), mention(2, T))  # found in this very second, sent in it
    run(T)
    run(T)
    run(T + timedelta(seconds=1))
    assert len(team.accepted) == 1
    run(T + timedelta(seconds=1), mention(3, T + timedelta(seconds=1)))
    run(T + timedelta(seconds=1))
    run(T + timedelta(seconds=5))

    assert ids_in(team.texts(), [mention(n, T).id for n in (1, 2, 3)]) == {
        mention(1, T).id: 1,
        mention(2, T).id: 1,
        mention(3, T).id: 1,
    }
    assert len(team.accepted) == 2


def test_a_new_channel_starts_at_its_first_run_not_with_the_whole_history(
    team_channel: tuple[Config, Receiver], tmp_path: Path
) -> None:
    config, team = team_channel
    with open_store(tmp_path / "m.json", write=True) as store:
        for n in range(50):
            store.put(mention(n, T - timedelta(days=n + 1)))
        store.save()
        result = run_notify(store, config, now=T)
        assert result.reports[0].mentions == 0
        store.put(mention(99, T + timedelta(minutes=5)))
        run_notify(store, config, now=T + timedelta(minutes=6))
    [message] = team.accepted
    assert mention(99, T).id[:7] in message.text and message.text.count("Acme post") == 1


def test_the_state_reads_back_what_it_wrote_and_shrugs_off_garbage() -> None:
    state = ChannelState(
        since=T,
        done=("a",),
        pending=("b", "c"),
        last_sent=T,
        not_before=T + timedelta(hours=1),
        failing=("hn",),
    )
    assert ChannelState.from_dict(state.to_dict()) == state
    assert ChannelState().to_dict() == {}
    odd = {"since": "yesterday", "done": "abc", "pending": [1, "x", None], "failing": {"hn": 1}}
    assert ChannelState.from_dict(odd) == ChannelState(pending=("x",))


class Scripted:
    """A channel whose service answers from a script: what `deliver` decides is the subject here."""

    spec = None
    service = "script"

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.sent = 0

    def send(self, delivery: Delivery) -> Outcome:
        self.sent += 1
        return self.outcomes.pop(0)


BUSY = Outcome(False, "busy", status=503, retryable=True)
OK = Outcome(True)


@pytest.mark.parametrize(
    ("outcomes", "waits", "ok", "tries"),
    [
        ((BUSY, OK), [RETRY_DELAYS[0]], True, 2),
        ((BUSY, BUSY, BUSY), list(RETRY_DELAYS), False, 3),
        ((replace(BUSY, status=429, retry_after=2.5), OK), [2.5], True, 2),
        ((replace(BUSY, status=429, retry_after=MAX_RETRY_WAIT + 1),), [], False, 1),
        ((Outcome(False, "refused", status=401),), [], False, 1),
    ],
)
def test_deliver_retries_within_bounds_and_waits_as_the_service_asks(
    outcomes: tuple[Outcome, ...], waits: list[float], ok: bool, tries: int
) -> None:
    slept: list[float] = []
    channel = Scripted(*outcomes)
    outcome, count = deliver(channel, Delivery("t", "b"), sleep=slept.append)  # type: ignore[arg-type]
    assert (outcome.ok, count, slept, channel.sent) == (ok, tries, waits, tries)


def test_a_channels_query_reads_the_found_at_index_whatever_the_history(tmp_path: Path) -> None:
    # The cost of "what has the channel not had": the rows found since its mark, not the table.
    # (bench/notify.py times it: flat from 1,000 to 100,000 mentions.)
    import sqlite3

    from mentionscan.store import MentionFilter, Order
    from mentionscan.store.sqlite_query import select_sql

    location = f"sqlite:///{tmp_path / 'm.db'}"
    with open_store(location, write=True) as store:
        for n in range(30):
            store.put(mention(n, T + timedelta(minutes=n)))
        store.save()
    sql, params = select_sql(MentionFilter(found_since=T + timedelta(minutes=25), order=Order.STORED), ())
    conn = sqlite3.connect(tmp_path / "m.db")
    try:
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        rows = conn.execute(sql, params).fetchall()
    finally:
        conn.close()
    assert "USING INDEX mentions_found" in plan
    assert [seq for seq, _, _ in rows] == sorted(seq for seq, _, _ in rows) and len(rows) == 5
