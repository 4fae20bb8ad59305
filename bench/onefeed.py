"""`mentionscan fetch` of one feed with a big history: the cost of a run that finds nothing.

    python bench/onefeed.py [--mentions 100000] [--runs 3]

A database of 100,000 mentions (the JSON default, made through the store, and SQLite, made
with `store.fill_sqlite`), one feed of 50 entries on 127.0.0.1 with no latency, and
`mentionscan fetch` in a fresh process, as cron starts it: the first run reads the feed (a 200:
parsed, matched, a few new mentions stored), each later run gets a 304 and finds nothing. Wall
times, median of `--runs`, each run on its own copy of the database.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import Row, feed_server, median, run_program, say, seconds, show, under_hosts
from fetch import ENTRY, mentionscan_config
from store import fill_sqlite, mention

from mentionscan.store import open_store

TARGET = 0.5  # seconds, wall, for a run that finds nothing


def json_database(path: Path, count: int) -> None:
    with open_store(path) as store:
        for n in range(count):
            store.put(mention(n))
        store.save()


def fetch(config: Path, database: str) -> float:
    args = ("fetch", "--config", str(config), "--db", database, "--format", "json", "--quiet")
    run = run_program(under_hosts(ENTRY, *args), env={"MENTIONSCAN_HOME": str(config.parent)})
    if run.returncode != 0:
        raise SystemExit(f"mentionscan fetch failed ({run.returncode}): {run.stderr[-2000:]}")
    return run.wall


def main(count: int = 100_000, runs: int = 3) -> list[Row]:
    say(f"one feed: `fetch` with {count:,} mentions stored")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-onefeed-") as folder, feed_server(1, 50, 0.0) as server:
        base = Path(folder)
        config = mentionscan_config(base, server.port, 1)
        made = {"JSON": base / "made.json", "SQLite": base / "made.db"}
        started = time.perf_counter()
        json_database(made["JSON"], count)
        fill_sqlite(made["SQLite"], (mention(n) for n in range(count)))
        say(f"  databases made in {seconds(time.perf_counter() - started)}")
        for kind, path in made.items():
            first, again = [], []
            for index in range(runs):
                copy = base / f"run{index}{path.suffix}"
                shutil.copyfile(path, copy)
                location = f"sqlite:///{copy}" if kind == "SQLite" else str(copy)
                first.append(fetch(config, location))
                again.append(fetch(config, location))
                copy.unlink()
            nothing, read = seconds(median(again)), seconds(median(first))
            say(f"  {kind}: first run {read}, a run that finds nothing {nothing}")
            rows.append(
                Row(
                    f"`fetch` of 1 feed, {count:,} mentions ({kind}): a run that finds nothing (the first)",
                    f"{nothing} ({read})",
                    f"≤ {TARGET:.1f} s",
                    median(again) <= TARGET,
                )
            )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.mentions, args.runs)))
