"""The inbox at 10,000 stored mentions: start-up until the list is on the screen, and each key press.

    python bench/inbox.py [--count 10000] [--runs 3]

Each run is a fresh process (as `mentionscan inbox` starts: Python, the CLI, Textual, the database read),
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
import json, sys, time
started = float(sys.argv[2])
# What `mentionscan inbox` loads before the command runs: the CLI, and the click commands typer builds
import typer.main
import mentionscan.cli
typer.main.get_command(mentionscan.cli.app)
from mentionscan.workspace import Workspace
from mentionscan.inbox import start

# What the command does: the screen made (its first page read meanwhile), then run.
ws = Workspace.open(sys.argv[1])
app = start(ws, ws.filter(status=["new", "todo"]))
import asyncio

async def main():
    painted = []  # (wall time, the list's first page shown, the whole list shown): each frame drawn
    display = app._display

    def paint(screen, update):  # the frame is composed: what a terminal is sent next
        if update is not None:
            painted.append((time.time(), app.loaded.is_set(), app.complete))
        display(screen, update)

    app._display = paint
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.complete and app.worker.idle):  # the whole list, and the authors' histories
            await asyncio.sleep(0.005)
        await pilot.pause()
        loaded = next(t for t, first, _ in painted if first) - started
        whole = next(t for t, _, every in painted if every) - started
        rows = len(app.rows)

        async def press(key):
            # The pilot returns once the process has been idle for 20 ms, twice: every frame the
            # key caused is drawn by then, and the key's time is until the last of them.
            count, begin = len(painted), time.time()
            await pilot.press(key)
            drawn = painted[-1][0] - begin if len(painted) > count else None
            return drawn, time.time() - begin

        keys, pilot_keys = zip(*[await press("j") for _ in range(40)])
        assert None not in keys, "a press of j drew nothing"
        assert app.current().id == app.rows[40].id and app.rows[40].id[:7] in app.shown.plain
        floor = [(await press("z"))[1] for _ in range(10)]  # no binding: the pilot's own waits
    result = {"start": loaded, "whole": whole, "rows": rows, "keys": keys, "pilot": pilot_keys}
    print(json.dumps({**result, "floor": floor}))

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


def measure(config: Path, runs: int) -> dict[str, float]:
    """Medians of the runs: to the screen, to the whole list; key presses, median and slowest."""
    results = [one_run(config) for _ in range(runs)]
    keys = [k for r in results for k in r["keys"]]
    return {
        "start": median([r["start"] for r in results]),
        "whole": median([r["whole"] for r in results]),
        "rows": results[0]["rows"],
        "key": median(keys),
        "slowest": max(keys),
        "pilot": median([k for r in results for k in r["pilot"]]),
        "floor": median([k for r in results for k in r["floor"]]),
    }


def main(count: int = 10_000, runs: int = 3) -> list[Row]:
    say(f"inbox: start-up and key presses at {count:,} mentions (and at 100), median of {runs}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as name:
        folder = Path(name)
        for backend in ("json", "sqlite"):
            small = measure(database(folder, 100, backend), runs)
            big = measure(database(folder, count, backend), runs)
            assert big["rows"] == count, big
            say(
                f"  {backend}: start {seconds(big['start'])} ({seconds(small['start'])} at 100), "
                f"whole list {seconds(big['whole'])}; key median {seconds(big['key'])}, slowest "
                f"{seconds(big['slowest'])} ({seconds(small['slowest'])} at 100); through the "
                f"pilot {seconds(big['pilot'])}, of which its waits {seconds(big['floor'])}"
            )
            rows += [
                Row(
                    f"inbox start-up to the list, {count:,} mentions, {backend} (at 100)",
                    f"{seconds(big['start'])} ({seconds(small['start'])})",
                    f"≤ {TARGET_START:g} s",
                    big["start"] <= TARGET_START,
                    ratio=f"{big['start'] / small['start']:.2f}",
                ),
                Row(
                    f"inbox: the whole list read (its first page shown meanwhile), {count:,}, {backend}",
                    seconds(big["whole"]),
                    "",
                    None,
                ),
                Row(
                    f"inbox key press (j), slowest of 40, {count:,} mentions, {backend} (at 100)",
                    f"{seconds(big['slowest'])} ({seconds(small['slowest'])})",
                    f"≤ {TARGET_KEY * 1000:.0f} ms",
                    big["slowest"] <= TARGET_KEY,
                    ratio=f"{big['slowest'] / small['slowest']:.2f}",
                ),
                Row(
                    f"inbox key press (j) through Textual's pilot, median, {count:,}, {backend} "
                    "(the pilot's own waits, a key bound to nothing)",
                    f"{seconds(big['pilot'])} ({seconds(big['floor'])})",
                    "",
                    None,
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
