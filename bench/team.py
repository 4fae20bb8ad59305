"""Team mode on one PostgreSQL server: fetch workers sharing 2,000 feeds, and a million mentions.

    python bench/team.py [--feeds 2000] [--latency 0.2] [--workers 1,2,4] [--mentions 1000000]

- 2,000 feeds (10 entries each) at 200 ms latency, fetched by 1, 2 and 4 `mentionscan fetch`
  processes started at once on one database: the wall time until the last one ends (each count
  on a new database; the server checks that every feed was asked once in all). Then the same
  workers again, every feed answering 304: little work per feed, so the network's floor
  (feeds / 64 requests at once / workers x latency) shows rather than the CPU's.
- `mentionscan list --limit 20` at 1,000,000 mentions: the command's wall time, median of 5.
- a run adding 1,000 mentions (and looking up 1,000 known ones) to those 1,000,000: time per new
  mention, dedup included (bench/store.py's run, on PostgreSQL); the added rows are deleted after.

The server: `$MENTIONSCAN_BENCH_POSTGRES` (or `$MENTIONSCAN_TEST_POSTGRES`), a URL where the
benchmark may create databases; without either, it starts a throw-away cluster on 127.0.0.1
(Debian's postgresql package). The million-mention database is made once (a few minutes, by
COPY) and kept on that server as `mentionscan_bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from common import PYTHON, Row, feed_server, median, say, seconds, under_hosts
from fetch import ENTRY, mentionscan_config
from store import CACHE_VERSION, fill_sqlite, kept_sqlite, mention, save_states

from mentionscan.config.model import Settings
from mentionscan.store import open_store
from mentionscan.store.docs import ordered, serialise
from mentionscan.store.interface import MentionFilter
from mentionscan.store.pg_schema import COLUMNS, CREATE, columns, escape

TARGET_LIST = 0.3  # seconds for `list --limit 20` at 1,000,000 mentions
TARGET_PER_MENTION = 1e-3  # seconds per new mention at 1,000,000
ENTRIES_PER_TASK = 20  # entries a feed gives in a run, looked up together
FETCH_THREADS = Settings().concurrency  # each worker's requests at once
KEPT = "mentionscan_bench"
KEPT_VERSION = "2"  # of the kept database's contents: change it when `mention` or the schema changes


@contextmanager
def server() -> Iterator[str]:
    """The URL of a PostgreSQL server to work on: the one named, or a throw-away cluster."""
    named = os.environ.get("MENTIONSCAN_BENCH_POSTGRES") or os.environ.get("MENTIONSCAN_TEST_POSTGRES")
    if named:
        yield named
        return
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise SystemExit("no PostgreSQL: apt-get install postgresql, or set MENTIONSCAN_BENCH_POSTGRES")
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    port = 54000 + os.getpid() % 1000
    subprocess.run(
        [*as_user, str(bins[-1] / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200"
    subprocess.run(
        [
            *as_user,
            str(bins[-1] / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bins[-1] / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def database(url: str, name: str, *, fresh: bool) -> str:
    """The URL of database `name` on the server, made (anew when `fresh`) if need be."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if fresh or not exists:
            conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


# Workers sharing the feeds


def workers(url: str, feeds: int, latency: float, counts: list[int]) -> list[Row]:
    """Each count of workers on a new database: a cold round (every feed answers 200 with its
    entries: parsed, matched, stored) and a round that follows it (every feed answers 304), whose
    work per feed is so light that the network's floor shows."""
    say(f"team: {feeds:,} feeds at {latency * 1000:.0f} ms, fetched by {counts} workers at once")
    walls: dict[tuple[str, int], float] = {}
    with (
        feed_server(feeds=feeds, entries=10, latency=latency) as feeds_server,
        tempfile.TemporaryDirectory() as folder,
    ):
        # The fetch benchmark's config; MENTIONSCAN_DB puts its database on the server.
        path = mentionscan_config(Path(folder), feeds_server.port, feeds)
        for count in counts:
            location = database(url, "mentionscan_bench_fetch", fresh=True)
            env = {**os.environ, "MENTIONSCAN_HOME": folder, "MENTIONSCAN_DB": location}
            subprocess.run(
                [PYTHON, "-m", "mentionscan", "db", "init"], env=env, check=True, capture_output=True
            )
            for kind, status in (("cold", "200"), ("304", "304")):
                walls[kind, count] = wall = _round(path, env, count)
                stats = feeds_server.stats()
                if stats.get(status) != feeds:
                    raise SystemExit(
                        f"{count} workers, {kind}: expected {feeds} answers {status}, "
                        f"the server counted {stats}"
                    )
                feeds_server.reset()
                say(f"  {count} worker{'s' if count > 1 else ''}, {kind}: {seconds(wall)}")
    rows = []
    floor = feeds / FETCH_THREADS * latency
    for kind, what in (("cold", "cold"), ("304", "every feed answering 304")):
        one = walls[kind, counts[0]]
        for count in counts:
            wall = walls[kind, count]
            rows.append(
                Row(
                    f"team: {feeds:,} feeds at {latency * 1000:.0f} ms, {what}, {count} worker "
                    f"process{'es' if count > 1 else ''} at once (network floor {floor / count:.1f} s)",
                    f"{seconds(wall)} ({one / wall:.2f}x of one worker)",
                    "falls with workers" if count > counts[0] else "",
                    None if count == counts[0] else wall < walls[kind, counts[counts.index(count) - 1]],
                )
            )
    return rows


def _round(config: Path, env: dict[str, str], count: int) -> float:
    """`count` fetch processes started at once on one database: the wall time until the last ends."""
    command = under_hosts(ENTRY, "fetch", "--config", str(config), "--quiet", "--format", "json")
    started = time.perf_counter()
    running = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(count)
    ]
    errors = [p.communicate()[1] for p in running]
    wall = time.perf_counter() - started
    if any(p.returncode != 0 for p in running):
        raise SystemExit(f"a worker failed: {errors}")
    return wall


# A million mentions


def kept(url: str, count: int) -> str:
    """The kept database of `count` mentions, made by COPY when it is not there (or is older)."""
    location = database(url, KEPT, fresh=False)
    with psycopg.connect(location, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]:
            marks = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if marks.get("bench") == f"{KEPT_VERSION}:{count}":
                return location
    location = database(url, KEPT, fresh=True)
    say(f"  making {count:,} mentions in {KEPT} (once; a few minutes)")
    started = time.perf_counter()
    with psycopg.connect(location, autocommit=True) as conn:
        for statement in CREATE:
            if not statement.startswith("CREATE INDEX"):
                conn.execute(statement)  # type: ignore[arg-type]
        with conn.cursor() as cur:
            names = "seq, id, doc, " + ", ".join(COLUMNS)
            with cur.copy(f"COPY mentions ({names}) FROM STDIN") as copy:
                for n in range(count):
                    m = mention(n)
                    _, payload = serialise(ordered(m.to_dict()), m.id)
                    *cols, words, whole = columns(m)
                    copy.write_row((n + 1, escape(m.id), payload.decode(), *cols, " ".join(words), whole))
            with cur.copy("COPY mention_keys (key, seq) FROM STDIN") as copy:
                for n in range(count):
                    for key in mention(n).keys:
                        copy.write_row((key, n + 1))
            with cur.copy("COPY mention_queries (seq, query) FROM STDIN") as copy:
                for n in range(count):
                    copy.write_row((n + 1, "acme"))
        conn.execute("INSERT INTO dedup_keys SELECT key, min(seq) FROM mention_keys GROUP BY key")
        conn.execute("SELECT setval('mention_seq', %s)", [count])
        conn.execute("INSERT INTO state (name, value) VALUES ('source:blog0', '{\"failures\": 0}')")
        for statement in CREATE:
            if statement.startswith("CREATE INDEX"):
                conn.execute(statement)  # type: ignore[arg-type]
        conn.execute("INSERT INTO meta (key, value) VALUES ('bench', %s)", [f"{KEPT_VERSION}:{count}"])
        conn.execute("VACUUM ANALYZE")
    say(f"  made in {seconds(time.perf_counter() - started)}")
    return location


def a_run(location: str, stored: int, first_new: int, new: int, existing: int) -> float:
    """What `fetch` asks of the store in a run (bench/store.py's run), task by task as the run asks
    it: each task's lookups prefetched at once, then looked up, new ones put; one save. Seconds."""
    fresh = [mention(n) for n in range(first_new, first_new + new)]
    known = [mention(n) for n in range(0, stored, max(1, stored // existing))][:existing]
    entries = [(m, False) for m in known] + [(m, True) for m in fresh]
    started = time.perf_counter()
    with open_store(location) as store:
        for start in range(0, len(entries), ENTRIES_PER_TASK):
            task = entries[start : start + ENTRIES_PER_TASK]
            store.prefetch([k for m, _ in task for k in m.keys], [m.id for m, _ in task])
            for m, is_new in task:
                assert (store.find_by_keys(m.keys) is None) is is_new
                if is_new:
                    assert store.get(m.id) is None
                    store.put(m)
        save_states(store, first_new)
    return time.perf_counter() - started


def list_query(location: str) -> float:
    """Seconds `list --limit 20` spends in the store (open, the query, close): the wall time less
    the interpreter's start and the imports."""
    started = time.perf_counter()
    with open_store(location, write=False) as store:
        chosen = list(store.mentions(MentionFilter(statuses=("new", "todo"), limit=20)))
    assert len(chosen) == 20
    return time.perf_counter() - started


def list_wall(location: str) -> float:
    """Wall time of `mentionscan list --limit 20` on `location`, as a user starts it."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "mentionscan", "list", "--limit", "20", "--format", "json"],
        env={**os.environ, "MENTIONSCAN_DB": location},
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - started
    if done.returncode != 0 or len(json.loads(done.stdout)) != 20:
        raise SystemExit(f"list failed: {done.stderr}")
    return took


def million(url: str, count: int, runs: int) -> list[Row]:
    """PostgreSQL at `count` mentions, and SQLite at as many in the same run (the same work), for a ratio."""
    say(f"team: PostgreSQL at {count:,} mentions, against SQLite at as many")
    location = kept(url, count)
    with tempfile.TemporaryDirectory(prefix="bench-team-sqlite-") as folder:
        path = Path(folder) / "mentions.db"
        kept_sqlite(
            f"sqlite-{count}-v{CACHE_VERSION}.db", path, lambda p: fill_sqlite(p, map(mention, range(count)))
        )
        sqlite = f"sqlite:///{path}"
        lists: dict[str, list[float]] = {"postgres": [], "sqlite": []}
        queries: dict[str, list[float]] = {"postgres": [], "sqlite": []}
        for _ in range(max(runs, 5)):  # taken in turns: a load on the machine weighs on both alike
            lists["postgres"].append(list_wall(location))
            lists["sqlite"].append(list_wall(sqlite))
            queries["postgres"].append(list_query(location))
            queries["sqlite"].append(list_query(sqlite))
        runs_of: dict[str, list[float]] = {"postgres": [], "sqlite": []}
        new = 1000
        for index in range(max(runs, 5)):
            first = count + index * new
            runs_of["postgres"].append(a_run(location, count, first, new, new) / new)
            runs_of["sqlite"].append(a_run(sqlite, count, first, new, new) / new)
            say(
                f"  run {index + 1}: {runs_of['postgres'][-1] * 1000:.3f} ms per new mention "
                f"(SQLite {runs_of['sqlite'][-1] * 1000:.3f} ms)"
            )
            with psycopg.connect(location, autocommit=True) as conn:  # back to the million for the next run
                for table in ("mention_keys", "dedup_keys", "mention_queries"):
                    conn.execute(f"DELETE FROM {table} WHERE seq > %s", [count])
                conn.execute("DELETE FROM mentions WHERE seq > %s", [count])
    listed, listed_sqlite = median(lists["postgres"]), median(lists["sqlite"])
    query, query_sqlite = median(queries["postgres"]), median(queries["sqlite"])
    each, each_sqlite = median(runs_of["postgres"]), median(runs_of["sqlite"])
    return [
        Row(
            f"team: `list --limit 20` on PostgreSQL at {count:,} mentions, wall (SQLite alike)",
            f"{seconds(listed)} ({seconds(listed_sqlite)}: {listed / listed_sqlite:.2f}x)",
            f"≤ {TARGET_LIST * 1000:.0f} ms",
            listed <= TARGET_LIST,
        ),
        Row(
            f"team: `list --limit 20` on PostgreSQL at {count:,} mentions, in the store (SQLite alike)",
            f"{seconds(query)} ({seconds(query_sqlite)}: {query / query_sqlite:.2f}x)",
            f"≤ {TARGET_LIST * 1000:.0f} ms",
            query <= TARGET_LIST,
        ),
        Row(
            f"team: PostgreSQL at {count:,} mentions, per new mention, dedup included (SQLite alike)",
            f"{each * 1000:.3f} ms ({each_sqlite * 1000:.3f} ms: {each / each_sqlite:.2f}x)",
            f"≤ {TARGET_PER_MENTION * 1000:.0f} ms",
            each <= TARGET_PER_MENTION,
        ),
    ]


def main(
    feeds: int = 2000,
    latency: float = 0.2,
    counts: tuple[int, ...] = (1, 2, 4),
    mentions: int = 1_000_000,
    runs: int = 3,
) -> list[Row]:
    with server() as url:
        return workers(url, feeds, latency, list(counts)) + million(url, mentions, runs)


if __name__ == "__main__":
    from common import show

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    counts = tuple(int(c) for c in args.workers.split(","))
    print(show(main(args.feeds, args.latency, counts, args.mentions, args.runs)))
