"""The store: what a run costs in the database, with the JSON default and with SQLite.

    python bench/store.py [--json 100000] [--sqlite 1000000] [--runs 3]

JSON, 100,000 mentions: a run that adds 100 mentions. The database is made through the store
(one save), then each run copies it and does what `fetch` does to it: open, for each of 100 new
entries look its keys up and check its id is free, put it; set the state of 500 sources and their
tasks; save; close. Everything is timed together, and `store.writes` must be exactly 1.

SQLite, 1,000,000 mentions: the database is made directly with executemany (through the API it
would take far longer), in the schema the backend creates, once: it is kept in bench/results/
(1.5 GB, git-ignored) and copied for each benchmark. Then: how long `open_store` takes, and a run
of 1,000 new entries and 1,000 already stored (looked up, the new ones put, states set, one save,
closed): the time per new mention, dedup included, median of 5 runs (each adds 1,000).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from common import BENCH, Row, median, say, seconds, show

from mentionscan.dedup import mention_id
from mentionscan.models import Event, Mention
from mentionscan.store import open_store
from mentionscan.store.docs import ordered

TARGET_JSON_RUN = 1.5  # seconds in the store for a run adding 100 mentions to 100,000
TARGET_SQLITE_PER_MENTION = 0.5e-3  # seconds per new mention, dedup included, at 1,000,000
TARGET_SQLITE_OPEN = 0.25
T0 = datetime(2026, 11, 1, tzinfo=UTC)
CACHE_VERSION = 1  # of the kept SQLite database's contents: change it when `stored_doc` changes
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
        keys=(key, f"g:blog{number % 500}:entry-{number}"),
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


def stored_doc(number: int) -> tuple[str, str, list[str]]:
    """(id, doc JSON, keys) of `mention(number)` as the backend stores it, made without the models
    (ten times faster, which matters at a million); `check_stored_doc` proves it the same."""
    url = f"https://blog{number % 997}.example.com/posts/{number}"
    key = f"url:{url}"
    found = T0 + timedelta(minutes=number)
    found_iso = found.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = f"blog{number % 500}"
    keys = [key, f"g:{source}:entry-{number}"]
    doc = {
        "id": mention_id(key),
        "keys": keys,
        "url": url,
        "title": f"Trying Acme Widgets, part {number}: what we learned",
        "snippet": TEXT[:200],
        "author": f"Writer {number % 50}",
        "author_url": f"https://blog{number % 997}.example.com/about",
        "author_email": None,
        "published": (found - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "found_at": found_iso,
        "source": source,
        "source_type": "feed",
        "queries": ["acme"],
        "status": "new",
        "text": TEXT,
        "tags": ["review"],
        "timeline": [{"at": found_iso, "kind": "found", "text": f"found by {source} for acme"}],
        "due": None,
        "digested_at": None,
        "contacts": [],
        "extra": {},
    }
    return doc["id"], orjson.dumps(doc).decode(), keys


def check_stored_doc() -> None:
    for number in (0, 1, 12_345, 999_999):
        expected = ordered(mention(number).to_dict())
        _, text, _ = stored_doc(number)
        assert orjson.loads(text) == expected and list(orjson.loads(text)) == list(expected), number


def build_sqlite(path: Path, count: int) -> None:
    """A database of `count` mentions in the backend's own schema, filled with executemany."""
    check_stored_doc()
    location = f"sqlite:///{path}"
    with open_store(location) as store:  # the backend creates its file and schema
        store.set_state("source:blog0", {"failures": 0})
        store.save()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # a one-off fill; the backend's WAL mode is set again below
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("BEGIN")
    batch = 50_000
    for start in range(0, count, batch):
        rows = []
        keys = []
        for n in range(start, min(count, start + batch)):
            mention_id_, text, its_keys = stored_doc(n)
            rows.append((n + 1, mention_id_, text))
            keys.extend((key, n + 1) for key in its_keys)
        conn.executemany("INSERT INTO mentions (seq, id, doc) VALUES (?, ?, ?)", rows)
        conn.executemany("INSERT INTO mention_keys (key, seq) VALUES (?, ?)", keys)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


def sqlite_store(count: int, runs: int) -> list[Row]:
    say(f"store (SQLite): {count:,} mentions")
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        path = Path(folder) / "mentions.db"
        started = time.perf_counter()
        # Made once and kept in bench/results/ (git-ignored); each run works on a copy of it.
        kept = BENCH / "results" / f"sqlite-{count}-v{CACHE_VERSION}.db"
        if kept.exists():
            shutil.copyfile(kept, path)
        else:
            build_sqlite(path, count)
            kept.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, kept)
        took = time.perf_counter() - started
        say(
            f"  {count:,} mentions ready in {seconds(took)} ({path.stat().st_size >> 20} MiB, kept in {kept})"
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


def main(json_count: int = 100_000, sqlite_count: int = 1_000_000, runs: int = 3) -> list[Row]:
    return json_store(json_count, runs) + sqlite_store(sqlite_count, runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=int, default=100_000, help="mentions in the JSON database")
    parser.add_argument("--sqlite", type=int, default=1_000_000, help="mentions in the SQLite database")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.json, args.sqlite, args.runs)))
