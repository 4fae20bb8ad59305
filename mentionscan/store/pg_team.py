"""How fetch workers on several machines share one PostgreSQL database's work (`Store.team`).

Each run registers in `fetch_runs` with a lease that a heartbeat renews; a (source, query) task
is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never both take it. A task is
left to whoever claimed it while that run is alive, or once it finished after this run started
(the workers of one round split the tasks); a task of a run whose lease ran out (killed, or its
machine gone) is claimed by the next run, and so is every task of a run that finished before
this one started. A task is marked done in the same transaction as the mentions and the cursor
it produced (`commit`). Paced hosts are paced through `host_pace`, one budget for every worker.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import suppress

import psycopg

from mentionscan.errors import StoreError
from mentionscan.store.interface import Team
from mentionscan.store.pg_schema import escape

# A task is held while the run that has it is alive (or is this run), or once that run finished
# after this one started and did it; else it is free. The test is a subquery on the task's row, so
# that a claim which meets another claim's update sees that update's run (a join would not).
CLAIM = """
UPDATE fetch_tasks SET run = %(run)s, done = false
WHERE key IN (
    SELECT t.key FROM fetch_tasks AS t
    WHERE t.key = ANY(%(keys)b::text[]) AND (t.run IS NULL OR NOT EXISTS (
        SELECT 1 FROM fetch_runs AS r WHERE r.id = t.run AND (
            (r.finished_at IS NULL AND (r.expires >= now() OR r.id = %(run)s))
            OR (r.finished_at > %(started)s AND t.done)
        )
    ))
    FOR UPDATE OF t SKIP LOCKED
)
RETURNING key
"""
PACE = """
INSERT INTO host_pace AS p (host, next_at) VALUES (%(host)s, now() + make_interval(secs => %(every)s))
ON CONFLICT (host) DO UPDATE SET next_at = greatest(p.next_at, now()) + make_interval(secs => %(every)s)
RETURNING greatest(extract(epoch FROM p.next_at - now()) - %(every)s, 0)
"""
FORGET_AFTER = "7 days"  # finished runs older than this are deleted


class PgTeam(Team):
    """One fetch run's share of the work, through its own connection (safe to use from threads)."""

    shared = True

    def __init__(self, conn: psycopg.Connection, *, lease: float, where: str) -> None:
        self.lease = max(1.0, float(lease))
        self.where = where
        self._conn = conn  # autocommit: each claim is its own short transaction
        self._done: list[str] = []
        # Claims are asked together: the fetch threads waiting for the connection put their task
        # in `_wanted`, and whichever gets it claims them all in one statement (`_decided`).
        self._wanted: set[str] = set()
        self._wanted_lock = threading.Lock()  # held only to change `_wanted`, never across I/O
        self._decided: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        worker = f"{socket.gethostname()}:{os.getpid()}"
        try:
            row = self._conn.execute(
                "INSERT INTO fetch_runs (worker, expires) VALUES (%s, now() + make_interval(secs => %s)) "
                "RETURNING id, started_at",
                [worker, self.lease],
            ).fetchone()
            self._conn.execute(
                f"DELETE FROM fetch_runs WHERE finished_at < now() - interval '{FORGET_AFTER}'"  # noqa: S608
            )
        except psycopg.Error as error:
            conn.close()
            raise StoreError(f"cannot use database {where}: {error}") from None
        assert row is not None
        self.run, self.started = row
        self._beat = threading.Thread(target=self._heartbeat, name="lease", daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        # Renewed three times a lease: one late beat does not let another worker take our tasks.
        while not self._stop.wait(self.lease / 3):
            with suppress(psycopg.Error), self._lock:
                self._conn.execute(
                    "UPDATE fetch_runs SET expires = now() + make_interval(secs => %s) WHERE id = %s",
                    [self.lease, self.run],
                )

    def offer(self, keys: list[str]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO fetch_tasks (key) SELECT unnest(%b::text[]) ORDER BY 1 ON CONFLICT DO NOTHING",
                [sorted(escape(k) for k in keys)],
            )

    def claim(self, task_key: str) -> bool:
        # One claim per task, each a round trip under the one lock of 64 fetch threads, queued
        # them behind each other: the thread that gets the lock claims for those waiting too.
        with self._wanted_lock:
            self._wanted.add(task_key)
        try:
            with self._lock:
                if task_key not in self._decided:
                    self._claim_wanted()
                return self._decided.pop(task_key)
        except psycopg.Error as error:
            raise StoreError(f"cannot claim task {task_key!r} in database {self.where}: {error}") from None
        finally:
            with self._wanted_lock:
                self._wanted.discard(task_key)

    def _claim_wanted(self) -> None:
        with self._wanted_lock:
            batch = {escape(k): k for k in self._wanted if k not in self._decided}
        rows = self._conn.execute(
            CLAIM, {"run": self.run, "keys": sorted(batch), "started": self.started}
        ).fetchall()
        won = {batch[key] for (key,) in rows}
        for key in batch.values():
            self._decided[key] = key in won

    def done(self, task_key: str) -> None:
        self._done.append(escape(task_key))

    @property
    def pending(self) -> bool:
        return bool(self._done)

    def commit(self, conn: psycopg.Connection) -> None:
        """Inside the save's transaction: the tasks finished since the last save are done."""
        if self._done:
            conn.execute(
                "UPDATE fetch_tasks SET done = true WHERE run = %s AND key = ANY(%b::text[])",
                [self.run, self._done],
            )
            self._done = []

    def pace(self, host: str, every: float) -> float | None:
        try:
            with self._lock:
                row = self._conn.execute(PACE, {"host": host, "every": every}).fetchone()
        except psycopg.Error:
            return None  # the database is not answering: pace this worker on its own
        return float(row[0]) if row else None

    def close(self) -> None:
        self._stop.set()
        with suppress(psycopg.Error), self._lock:
            self._conn.execute("UPDATE fetch_runs SET finished_at = now() WHERE id = %s", [self.run])
        with suppress(psycopg.Error):
            self._conn.close()
