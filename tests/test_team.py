"""Team mode with real processes: several `mentionscan` at once on one PostgreSQL database.

Each worker is its own process (`python -m mentionscan`), as on its own machine; the feeds are
served on 127.0.0.1 by one threaded server that counts what each path was asked, and answers
slowly enough that the workers started together are at work together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mentionscan.fetching.health import SourceHealth
from mentionscan.sources.interface import TaskState
from mentionscan.store import open_store
from tests import pgtools
from tests.mailtools import MailServer, email_table, rfc822, smtp_server
from tests.notifytools import Receiver, ids_in, notify_table
from tests.store.tools import make

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
NOW = datetime.now(UTC).replace(microsecond=0)


class Feeds:
    """`count` RSS feeds, each with two posts of its own and the same two posts every feed carries."""

    def __init__(self, count: int, delay: float) -> None:
        self.count = count
        self.delay = delay
        self.asked: Counter[str] = Counter()
        self.arrived: list[float] = []  # when each request came, by this process's clock
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("").respond_with_handler(self._answer)
        self.server.start()

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.asked[request.path] += 1
            self.arrived.append(time.monotonic())
        time.sleep(self.delay)
        number = int(request.path.strip("/").removeprefix("feed").removesuffix(".rss"))
        posts = [(f"https://blog{number}.example/{i}", f"Acme post {i} of blog {number}") for i in range(2)]
        posts += [(f"https://news.example/{i}", f"Acme in the news {i}") for i in range(2)]
        items = "".join(
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{rfc822(NOW - timedelta(hours=1))}</pubDate></item>"
            for link, title in posts
        )
        body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>b</title>{items}</channel></rss>"
        return Response(body, content_type="application/rss+xml", headers={"ETag": f'"blog{number}"'})

    @property
    def sources(self) -> list[dict[str, Any]]:
        return [
            {"name": f"blog{n}", "type": "feed", "url": self.server.url_for(f"/feed{n}.rss")}
            for n in range(self.count)
        ]

    @property
    def items(self) -> set[str]:
        """Every post's URL: what the database must hold, each once."""
        own = {f"https://blog{n}.example/{i}" for n in range(self.count) for i in range(2)}
        return own | {f"https://news.example/{i}" for i in range(2)}

    def stop(self) -> None:
        self.server.clear()
        self.server.stop()


@pytest.fixture
def database() -> str:
    return pgtools.database_url()


def worker(config: Path, database: str, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """`mentionscan ARGS` in a process of its own, on `database`."""
    env = {**os.environ, "MENTIONSCAN_DB": database, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "mentionscan", *args, "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        **popen,
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err.decode()


def stored_urls(database: str) -> list[str]:
    with open_store(database, write=False) as store:
        return [m.url for m in store.mentions()]


def test_three_workers_at_once_split_the_tasks_store_each_item_once_and_all_finish(
    write_config: Callable[..., Path], database: str
) -> None:
    feeds = Feeds(24, delay=0.25)
    try:
        config = write_config({"acme": "acme"}, feeds.sources, {"concurrency": 2})
        workers = [worker(config, database, "fetch", "--format", "json") for _ in range(3)]
        results = [finish(w) for w in workers]
    finally:
        feeds.stop()
    assert [code for code, _ in results] == [0, 0, 0], results  # no deadlock, no failure
    assert feeds.asked == Counter({f"/feed{n}.rss": 1 for n in range(24)})  # every task done once
    urls = stored_urls(database)
    assert sorted(urls) == sorted(feeds.items)  # each item stored once, though 24 feeds carry two
    # The work was shared, and each worker said which sources another one fetched.
    done_elsewhere = [err.count("fetched by another worker") for _, err in results]
    assert sum(done_elsewhere) == 24 * 2 and all(n < 24 for n in done_elsewhere), results
    with open_store(database, write=False) as store:
        # Every source's cursor and health were stored by the worker that fetched it.
        assert all(store.read_state(SourceHealth, f"blog{n}").last_ok is not None for n in range(24))
        assert all(store.read_state(TaskState, f"blog{n}").etag == f'"blog{n}"' for n in range(24))


def test_a_killed_worker_leaves_nothing_half_done_and_the_next_run_finishes_its_tasks(
    write_config: Callable[..., Path], database: str
) -> None:
    feeds = Feeds(12, delay=0.4)
    try:
        config = write_config({"acme": "acme"}, feeds.sources, {"concurrency": 1, "task_lease": 2})
        doomed = worker(config, database, "fetch", "--quiet", start_new_session=True)
        deadline = time.monotonic() + 60
        while sum(feeds.asked.values()) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its parsers, as when its machine dies
        doomed.communicate(timeout=30)
        before = stored_urls(database)
        asked_before = sum(feeds.asked.values())
        assert 0 < asked_before < 12
        # Each source's mentions, cursor, done mark and health were saved together, or none of them.
        with open_store(database, write=False) as store:
            healthy = {n: store.read_state(SourceHealth, f"blog{n}").last_ok is not None for n in range(12)}
            cursors = {n: store.read_state(TaskState, f"blog{n}").etag is not None for n in range(12)}
        with pgtools.connect(database) as conn:
            done = {key for (key,) in conn.execute("SELECT key FROM fetch_tasks WHERE done")}
        saved = {n: f"https://blog{n}.example/0" in before for n in range(12)}
        assert saved == healthy == cursors == {n: f"blog{n}" in done for n in range(12)}
        assert any(saved.values()) and not all(saved.values())
        # The killed worker's lease runs out (2 s without a heartbeat); the next run takes its tasks.
        with pgtools.connect(database, autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while conn.execute("SELECT count(*) FROM fetch_runs WHERE expires > now()").fetchone()[0]:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        code, err = finish(worker(config, database, "fetch", "--quiet"))
    finally:
        feeds.stop()
    assert code == 0, err
    assert len(set(before)) == len(before)  # what the killed worker saved, it saved whole
    urls = stored_urls(database)
    assert sorted(urls) == sorted(feeds.items)  # nothing lost, nothing stored twice
    assert all(feeds.asked[f"/feed{n}.rss"] >= 1 for n in range(12))
    with pgtools.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM fetch_tasks WHERE NOT done").fetchone()[0] == 0


def test_two_workers_share_one_host_budget(write_config: Callable[..., Path], database: str) -> None:
    feeds = Feeds(6, delay=0)
    try:
        # One host (127.0.0.1), 120 requests a minute: one every 0.5 s, whichever worker asks.
        sources = [{**source, "rate_per_minute": 120} for source in feeds.sources]
        config = write_config({"acme": "acme"}, sources, {"concurrency": 1})
        results = [finish(w) for w in [worker(config, database, "fetch") for _ in range(2)]]
    finally:
        feeds.stop()
    assert [code for code, _ in results] == [0, 0], results
    assert feeds.asked == Counter({f"/feed{n}.rss": 1 for n in range(6)})
    assert all(err.count("fetched by another worker") < 6 for _, err in results), results  # both fetched
    # The k-th turn is 0.5 s after the one before; a request reaches the server a little after its
    # turn (more on a loaded machine), so each is checked against the first, with that slack.
    since_first = [at - feeds.arrived[0] for at in feeds.arrived]
    assert all(t >= 0.5 * k - 0.25 for k, t in enumerate(since_first)), since_first


def wait_for_lock_waiters(database: str, processes: list[subprocess.Popen[bytes]], *what: str) -> None:
    """Until every one of `processes` waits for a lock of a kind in `what` (advisory, tuple...)."""
    with pgtools.connect(database, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        while True:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mentionscan' "
                "AND wait_event_type = 'Lock' AND wait_event = ANY(%s)",
                [list(what)],
            ).fetchone()[0]
            if waiting >= len(processes):
                return
            ended = [finish(p) for p in processes if p.poll() is not None]
            assert not ended and time.monotonic() < deadline, (waiting, ended)
            time.sleep(0.05)


def at_once(config: Path, database: str, *commands: tuple[str, ...]) -> list[tuple[int, str]]:
    """Run `commands` on mention m000001 at the same moment: each reads it, then all wait for its
    row, which the test holds, so that their saves meet for sure; then the row is let go."""
    with open_store(database) as store:
        store.put(make(1))
        store.save()
    with pgtools.connect(database) as conn:
        conn.execute("SELECT 1 FROM mentions WHERE id = 'm000001' FOR UPDATE")
        people = [worker(config, database, *command) for command in commands]
        wait_for_lock_waiters(database, people, "transactionid", "tuple")
        conn.rollback()
    return [finish(p) for p in people]


def test_two_people_marking_one_mention_at_once_the_second_is_told(
    write_config: Callable[..., Path], database: str
) -> None:
    config = write_config({"acme": "acme"}, [])
    results = at_once(config, database, ("mark", "m000001", "contacted"), ("mark", "m000001", "ignored"))
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    told = next(err for code, err in results if code == 5)
    with open_store(database, write=False) as store:
        mention = store.get("m000001")
    other = "ignored" if mention.status == "contacted" else "contacted"
    assert told.strip() == (
        f"Error: mention m000001 was set to {mention.status!r} by someone else meanwhile (you saw 'new'); "
        f"nothing was changed: run mark again to set it {other!r}"
    )
    assert [e.text for e in mention.timeline if e.kind == "status"] == [mention.status]


def test_a_note_written_while_someone_marks_is_kept(write_config: Callable[..., Path], database: str) -> None:
    config = write_config({"acme": "acme"}, [])
    results = at_once(config, database, ("mark", "m000001", "contacted"), ("note", "m000001", "called them"))
    assert [code for code, _ in results] == [0, 0], results
    with open_store(database, write=False) as store:
        mention = store.get("m000001")
    assert mention.status == "contacted"
    assert [(e.kind, e.text) for e in mention.timeline[-2:]] in (
        [("status", "contacted"), ("note", "called them")],
        [("note", "called them"), ("status", "contacted")],
    )


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with smtp_server() as server:
        yield server


def test_two_machines_sending_the_digest_at_once_send_one_email(
    write_config: Callable[..., Path], database: str, mail: MailServer
) -> None:
    config = write_config({"acme": "acme"}, [], extra=email_table(mail))
    with open_store(database) as store:
        for i in range(3):
            store.put(make(i))
        store.save()
        schema = database.rpartition("%3D")[2]
    with pgtools.connect(database, autocommit=True) as conn:
        # Held here first, so that both machines are waiting for their turn at the same moment.
        conn.execute("SELECT pg_advisory_lock(hashtext(%s || 'mentionscan:digest'))", [schema])
        machines = [worker(config, database, "digest", "--send") for _ in range(2)]
        wait_for_lock_waiters(database, machines, "advisory")
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s || 'mentionscan:digest'))", [schema])
    results = [finish(m) for m in machines]
    assert [code for code, _ in results] == [0, 0], results
    assert len(mail.received) == 1
    assert "3 new mentions" in mail.only().message["Subject"]
    said = sorted(err.strip().splitlines()[-1] for _, err in results)
    assert said[0].startswith("Another machine sent the digest meanwhile (3 mentions, sent to ")
    with open_store(database, write=False) as store:
        assert all(m.digested_at is not None for m in store.mentions())
        assert [e.kind for e in store.get("m000000").timeline].count("digest") == 1


def test_two_machines_notifying_at_once_send_each_mention_once(
    write_config: Callable[..., Path], database: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{httpserver.port}/apprise/json")
    config = write_config({"widget": "widget"}, [], extra=notify_table("team", url_env="TEAM_URL"))
    assert finish(worker(config, database, "notify"))[0] == 0  # the channel starts now: nothing before
    with open_store(database) as store:
        for i in range(3):
            store.put(make(i, found_at=datetime.now(UTC) + timedelta(seconds=1), queries=("widget",)))
        store.save()
        schema = database.rpartition("%3D")[2]
    hold = "mentionscan:notify to team"
    with pgtools.connect(database, autocommit=True) as conn:
        # Held here first, so that both machines are waiting for their turn at the same moment.
        conn.execute("SELECT pg_advisory_lock(hashtext(%s || %s))", [schema, hold])
        machines = [worker(config, database, "notify") for _ in range(2)]
        wait_for_lock_waiters(database, machines, "advisory")
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s || %s))", [schema, hold])
    results = [finish(m) for m in machines]
    assert [code for code, _ in results] == [0, 0], results
    assert len(team.accepted) == 1
    assert ids_in(team.texts(), [f"m{i:06d}" for i in range(3)]) == {f"m{i:06d}": 1 for i in range(3)}
    said = sorted(err.strip() for _, err in results)
    assert said == ["team (JSON): 3 mentions in 1 message", "team (JSON): nothing new"], said
