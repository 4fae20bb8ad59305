"""The inbox at 10,000 stored mentions: start-up until the list is on the screen, and each key press.

    python bench/inbox.py [--count 10000] [--runs 3]

Each run is a fresh process (as `mentionscan inbox` starts: Python, Textual, the database read),
running the real app headless (`App.run_test()`, 120×40). Timed, from the moment the process
is started: until the list is on the screen (its first page of 200, the newest, when there are
more), and until it holds every open mention (the JSON database of `bench/store.py`'s
mentions, and the same in SQLite); then, in that process, once the authors' histories are read
(off the screen's thread, after the list is shown), 40 presses of `j` through Textual's pilot
(the cursor moves and the mention is drawn; the pilot's own wait for the screen included),
median and slowest. The same at 100 mentions gives the ratio: what 10,000
cost over what a small inbox costs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, Row, median, say, seconds, show
from store import fill_sqlite, mention

from mentionscan.store import open_store

TARGET_START = 1.0  # seconds, process start to the list on the screen
TARGET_KEY = 0.05  # seconds per key press, the slowest of 40

CHILD = """
import asyncio, json, sys, time
started = float(sys.argv[2])
from mentionscan.workspace import Workspace
from mentionscan.inbox.app import Inbox
from mentionscan.inbox.session import Session

async def main():
    ws = Workspace.open(sys.argv[1])
    app = Inbox(Session(ws, ws.filter(status=["new", "todo"])))
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.loaded.is_set():
            await asyncio.sleep(0.005)
        await pilot.pause()
        loaded = time.time() - started
        while not app.complete:  # the whole list, read after its first page is on the screen
            await asyncio.sleep(0.005)
        await pilot.pause()
        whole = time.time() - started
        rows = len(app.rows)
        while not app.worker.idle:  # the authors' histories
            await asyncio.sleep(0.005)
        keys = []
        for _ in range(40):
            begin = time.perf_counter()
            await pilot.press("j")
            keys.append(time.perf_counter() - begin)
        assert app.current().id == app.rows[40].id
    print(json.dumps({"start": loaded, "whole": whole, "rows": rows, "keys": keys}))

asyncio.run(main())
"""


def database(folder: Path, count: int, backend: str) -> Path:
    """A config over `count` mentions, in JSON or SQLite; the config."""
    if backend == "json":
        location = str(folder / f"m{count}.json")
        with open_store(location) as store:
            for number in range(count):
                store.put(mention(number))
            store.save()
    else:
        fill_sqlite(folder / f"m{count}.db", (mention(n) for n in range(count)))
        location = f"sqlite:///{folder}/m{count}.db"
    config = folder / f"{backend}{count}.toml"
    config.write_text(
        f'[settings]\ndatabase = "{location}"\n\n[[queries]]\nname = "acme"\nmatch = "acme"\n\n'
        '[[sources]]\nname = "blog0"\ntype = "feed"\nurl = "http://127.0.0.1:9/feed"\n',
        encoding="utf-8",
    )
    return config


def one_run(config: Path) -> dict:
    env = {**os.environ, "MENTIONSCAN_HOME": str(config.parent)}
    started = time.time()
    command = [PYTHON, "-c", CHILD, str(config), repr(started)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(config: Path, runs: int) -> tuple[float, float, float, int, float]:
    """Medians: to the screen, key press; the slowest key press; the rows; to the whole list."""
    results = [one_run(config) for _ in range(runs)]
    keys = [k for r in results for k in r["keys"]]
    start, whole = median([r["start"] for r in results]), median([r["whole"] for r in results])
    return start, median(keys), max(keys), results[0]["rows"], whole


def main(count: int = 10_000, runs: int = 3) -> list[Row]:
    say(f"inbox: start-up and key presses at {count:,} mentions (and at 100), median of {runs}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as name:
        folder = Path(name)
        for backend in ("json", "sqlite"):
            small = measure(database(folder, 100, backend), runs)
            big = measure(database(folder, count, backend), runs)
            assert big[3] == count, big
            say(
                f"  {backend}: start {seconds(big[0])} ({seconds(small[0])} at 100), whole list "
                f"{seconds(big[4])}; key median "
                f"{seconds(big[1])}, slowest {seconds(big[2])} ({seconds(small[2])} at 100)"
            )
            rows += [
                Row(
                    f"inbox start-up to the list, {count:,} mentions, {backend} (at 100)",
                    f"{seconds(big[0])} ({seconds(small[0])})",
                    f"≤ {TARGET_START:g} s",
                    big[0] <= TARGET_START,
                    ratio=f"{big[0] / small[0]:.2f}",
                ),
                Row(
                    f"inbox: the whole list read (its first page shown meanwhile), {count:,}, {backend}",
                    seconds(big[4]),
                    "",
                    None,
                ),
                Row(
                    f"inbox key press (j), slowest of 40, {count:,} mentions, {backend} (at 100)",
                    f"{seconds(big[2])} ({seconds(small[2])})",
                    f"≤ {TARGET_KEY * 1000:.0f} ms",
                    big[2] <= TARGET_KEY,
                    ratio=f"{big[2] / small[2]:.2f}",
                ),
            ]
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.count, args.runs)))
    sys.exit(0)
