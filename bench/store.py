"""The store: what a run costs in the database, with the JSON default and with SQLite.

    python bench/store.py [--json 100000] [--sqlite 1000000] [--runs 3]

JSON, 100,000 mentions: a run that adds 100 mentions. The database is made through the store
(one save), then each run copies it and does what `fetch` does to it: open, for each of 100 new
entries look its keys up and check its id is free, put it; set the state of 500 sources and their
tasks; save; close. Everything is timed together, and `store.writes` must be exactly 1.

SQLite, 1,000,000 mentions: the database is made directly with executemany (through the API it
would take far longer), in the schema the backend creates and with the rows its own functions
derive (`fill_sqlite`), once: it is kept in bench/results/ (git-ignored) and copied for each
benchmark. Then: how long `open_store` takes, and a run of 1,000 new entries and 1,000 already
stored (looked up, the new ones put, states set, one save, closed): the time per new mention,
dedup included, median of 5 runs (each adds 1,000).

The run lock: how long a second writer waits before StoreLocked, given `lock_timeout=0.2`
(a figure shown for information; the tests check only that it gives up, with which message).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import orjson
from common import BENCH, PYTHON, Row, median, say, seconds, show

from mentionscan.dedup import mention_id
from mentionscan.errors import StoreLocked
from mentionscan.models import Event, Mention
from mentionscan.store import open_store, sqlite_schema
from mentionscan.store.docs import ordered

TARGET_JSON_RUN = 1.5  # seconds in the store for a run adding 100 mentions to 100,000
TARGET_SQLITE_PER_MENTION = 0.5e-3  # seconds per new mention, dedup included, at 1,000,000
TARGET_SQLITE_OPEN = 0.25
T0 = datetime(2026, 11, 1, tzinfo=UTC)
CACHE_VERSION = 3  # of the kept SQLite database's contents: change it when `mention` or the schema changes
TEXT = (
    "We moved our build to it last month and the difference is easy to see: the cache is warm, the "
    "queue is short and the team spends its mornings on features again. "
) * 3


def mention(number: int) -> Mention:
    """A mention shaped like a real one (≈1.2 KB stored): title, snippet, text, keys, a timeline."""
    url = f"https://blog{number % 997}.example.com/posts/{number}"
    key = f"url:{url}"
    found = T0 + timedelta(minutes=number)
    return Mention(
        id=mention_id(key),
        url=url,
        title=f"Trying Acme Widgets, part {number}: what we learned",
        snippet=TEXT[:200],
        author=f"Writer {number % 50}",
        author_url=f"https://blog{number % 997}.example.com/about",
        author_email=None,
        published=found - timedelta(hours=3),
        found_at=found,
        source=f"blog{number % 500}",
        source_type="feed",
        queries=("acme",),
        # A link, a GUID and the content key that `dedup.entry_keys` adds last.
        keys=(
            key,
            f"g:blog{number % 500}:entry-{number}",
            f"c:blog{number % 500}:{mention_id(url, length=32)}",
        ),
        text=TEXT,
        tags=("review",),
        timeline=(Event(found, "found", f"found by blog{number % 500} for acme"),),
    )


def a_run(location: str, stored: int, first_new: int, new: int, existing: int) -> tuple[float, int]:
    """What `fetch` asks of the store in a run; (seconds, writes)."""
    fresh = [mention(n) for n in range(first_new, first_new + new)]
    known = [mention(n) for n in range(0, stored, max(1, stored // existing))][:existing]
    started = time.perf_counter()
    with open_store(location) as store:
        for m in known:
            assert store.find_by_keys(m.keys) is not None
        for m in fresh:
            assert store.find_by_keys(m.keys) is None
            assert store.get(m.id) is None
            store.put(m)
        for source in range(500):
            state = store.state(f"task:blog{source}")
            state.update(etag=f'"v{first_new}"', last_modified="Mon, 23 Nov 2026 07:00:00 GMT")
            store.set_state(f"task:blog{source}", state)
            store.set_state(f"source:blog{source}", {"failures": 0, "last_ok": "2026-11-23T07:00:00Z"})
        store.save()
        writes = store.writes
    return time.perf_counter() - started, writes


def json_store(count: int, runs: int) -> list[Row]:
    say(f"store (JSON): a run adding 100 mentions to {count:,}")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        base = Path(folder) / "base.json"
        started = time.perf_counter()
        with open_store(base) as store:
            for n in range(count):
                store.put(mention(n))
            store.save()
        made = time.perf_counter() - started
        say(f"  made {count:,} mentions in {seconds(made)}, {base.stat().st_size >> 20} MiB")
        times = []
        for index in range(runs):
            copy = Path(folder) / f"run{index}.json"
            shutil.copyfile(base, copy)
            elapsed, writes = a_run(str(copy), count, count + index * 100, 100, 100)
            if writes != 1:
                raise SystemExit(f"the run wrote the file {writes} times, not once")
            say(f"  run {index + 1}: {seconds(elapsed)}, {writes} write")
            times.append(elapsed)
            copy.unlink()
    taken = median(times)
    return [
        Row(
            f"store: a run adding 100 mentions to {count:,} (JSON), time in the store; writes",
            f"{seconds(taken)}; 1 write",
            f"≤ {TARGET_JSON_RUN} s; exactly 1 write",
            taken <= TARGET_JSON_RUN,
        )
    ]


def fill_sqlite(path: Path, mentions: Iterable[Mention], states: dict[str, dict] | None = None) -> None:
    """A new database at `path` holding `mentions` (in stored order), in the backend's own schema.

    The store creates the file; the rows are what the backend itself derives from each mention
    (`sqlite_schema.columns` and `words`), written with executemany, and the indexes are made
    once at the end, with the backend's own statements.
    """
    location = f"sqlite:///{path}"
    with open_store(location) as store:  # the backend creates its file and schema
        for name, value in (states or {"source:blog0": {"failures": 0}}).items():
            store.set_state(name, value)
        store.save()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # a one-off fill; the backend's WAL mode is set again below
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("BEGIN")
    for statement in sqlite_schema.INDEXES_2:
        conn.execute(f"DROP INDEX {statement.split()[2]}")
    seq = 0
    mentions = iter(mentions)
    while batch := list(islice(mentions, 20_000)):
        numbered = list(enumerate(batch, seq + 1))
        seq += len(batch)
        conn.executemany(
            sqlite_schema.INSERT,
            [
                (n, m.id, orjson.dumps(ordered(m.to_dict())).decode(), *sqlite_schema.columns(m))
                for n, m in numbered
            ],
        )
        conn.executemany(
            "INSERT INTO mention_keys (key, seq) VALUES (?, ?)", [(k, n) for n, m in numbered for k in m.keys]
        )
        conn.executemany(
            "INSERT INTO mention_queries (seq, query) VALUES (?, ?)",
            [(n, q) for n, m in numbered for q in m.queries],
        )
        conn.executemany(
            "INSERT INTO mention_words (rowid, words) VALUES (?, ?)",
            [(n, sqlite_schema.words(m)) for n, m in numbered],
        )
    for statement in sqlite_schema.INDEXES_2:
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


def kept_sqlite(name: str, path: Path, make: Callable[[Path], None]) -> float:
    """Copy the database kept as bench/results/`name` to `path`, making it first if need be; seconds taken."""
    started = time.perf_counter()
    kept = BENCH / "results" / name
    if kept.exists():
        shutil.copyfile(kept, path)
    else:
        make(path)
        kept.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, kept)
    took = time.perf_counter() - started
    say(f"  {name} ready in {seconds(took)} ({path.stat().st_size >> 20} MiB, kept in {kept})")
    return took


def sqlite_store(count: int, runs: int) -> list[Row]:
    say(f"store (SQLite): {count:,} mentions")
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        path = Path(folder) / "mentions.db"
        # Made once and kept in bench/results/ (git-ignored); each run works on a copy of it.
        kept_sqlite(
            f"sqlite-{count}-v{CACHE_VERSION}.db", path, lambda p: fill_sqlite(p, map(mention, range(count)))
        )
        location = f"sqlite:///{path}"
        opens = []
        for _ in range(max(runs, 5)):
            started = time.perf_counter()
            with open_store(location) as store:
                opens.append(time.perf_counter() - started)
                assert store.state("source:blog0") == {"failures": 0}
        per_mention = []
        new = 1000
        for index in range(max(runs, 5)):  # half a second each: cheap enough for a steadier median
            elapsed, writes = a_run(location, count, count + index * new, new, new)
            assert writes == 1
            per_mention.append(elapsed / new)
            say(f"  run {index + 1}: {seconds(elapsed)} for {new} new and {new} known entries")
        with open_store(location, write=False) as store:
            assert store.count() == count + max(runs, 5) * new
    opened, each = median(opens), median(per_mention)
    return [
        Row(
            f"store: SQLite at {count:,} mentions, per new mention (dedup included)",
            f"{each * 1000:.3f} ms",
            f"≤ {TARGET_SQLITE_PER_MENTION * 1000:.1f} ms",
            each <= TARGET_SQLITE_PER_MENTION,
        ),
        Row(
            f"  open at {count:,} mentions",
            seconds(opened),
            f"≤ {TARGET_SQLITE_OPEN * 1000:.0f} ms",
            opened <= TARGET_SQLITE_OPEN,
        ),
    ]


HOLD_LOCK = """
import sys
from mentionscan.store import open_store
with open_store(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


def lock_wait(runs: int) -> list[Row]:
    """How long a second writer waits for a held lock with lock_timeout=0.2 before StoreLocked."""
    say("store: the run lock, a second writer with lock_timeout=0.2")
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as folder:
        location = str(Path(folder) / "db.json")
        holder = subprocess.Popen(
            [PYTHON, "-c", HOLD_LOCK, location], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        waits = []
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            for _ in range(max(runs, 5)):
                started = time.perf_counter()
                try:
                    with open_store(location, lock_timeout=0.2):
                        raise SystemExit("the lock was not held")
                except StoreLocked:
                    waits.append(time.perf_counter() - started)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=10)
    waited = median(waits)
    return [
        Row(
            "store: a second writer gives up (lock_timeout 0.2 s), waited",
            seconds(waited),
            "0.2–1.5 s",
            0.2 <= waited < 1.5,
        )
    ]


def main(json_count: int = 100_000, sqlite_count: int = 1_000_000, runs: int = 3) -> list[Row]:
    return json_store(json_count, runs) + sqlite_store(sqlite_count, runs) + lock_wait(runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=int, default=100_000, help="mentions in the JSON database")
    parser.add_argument("--sqlite", type=int, default=1_000_000, help="mentions in the SQLite database")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.json, args.sqlite, args.runs)))
