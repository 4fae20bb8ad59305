"""Alerts at scale: what a channel has not had yet, asked of SQLite at 1,000 and at 100,000 mentions.

    python bench/notify.py [--small 1000] [--big 100000] [--runs 5]

Each database holds mentions found a minute apart (bench/store.py's `mention`), the last 100 of
them new to the channel: its `ChannelState` says it had everything found before them. Timed:
the store query `notify` makes for the channel (the mentions found since its mark, plus the ones
it still owes, by id), in this process; and `mentionscan notify` as a user runs it, a fresh
process sending those 100 mentions to a `json://` receiver on 127.0.0.1, median of the runs.
The history behind the mark should cost nothing: the big database's figures over the small's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import PYTHON, Row, median, say, seconds, show
from store import T0, fill_sqlite, mention

from mentionscan.delivery.notify import ChannelState
from mentionscan.store import MentionFilter, Order, open_store

NEW = 100
TARGET_RATIO = 1.5  # the big database's time over the small one's
TARGET_QUERY = 0.02  # seconds for the channel's query at 100,000 mentions


class _Receiver(BaseHTTPRequestHandler):
    posts = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def database(folder: Path, count: int) -> Path:
    """`count` mentions; the channel "team" has had all but the last NEW."""
    path = folder / f"m{count}.db"
    mark = T0 + timedelta(minutes=count - NEW)
    state = ChannelState(since=mark, last_sent=mark)
    fill_sqlite(path, (mention(n) for n in range(count)), {"notify:team": state.to_dict()})
    return path


def query_time(path: Path, runs: int) -> float:
    """What `notify` asks the store for the channel (delivery/notify.py, `_ChannelRun._due`)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with open_store(f"sqlite:///{path}", write=False) as store:
            state = store.read_state(ChannelState, "team")
            fresh = list(store.mentions(MentionFilter(found_since=state.since, order=Order.STORED)))
            owed = MentionFilter(ids=state.pending, order=Order.STORED)
            fresh += list(store.mentions(owed)) if state.pending else []
        times.append(time.perf_counter() - started)
        assert len(fresh) == NEW, len(fresh)
    return median(times)


def notify_time(path: Path, config: Path, runs: int) -> float:
    times = []
    for index in range(runs + 1):  # the first run is not timed: it warms the file cache
        copy = path.with_name(f"run-{path.name}")
        shutil.copyfile(path, copy)
        posts = _Receiver.posts
        started = time.perf_counter()
        done = subprocess.run(
            [PYTHON, "-m", "mentionscan", "notify", "--config", str(config), "--db", f"sqlite:///{copy}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.perf_counter() - started
        if done.returncode != 0 or _Receiver.posts == posts:
            raise SystemExit(f"notify failed: {done.stderr}")
        if index:
            times.append(took)
        copy.unlink()
    return median(times)


def main(small: int = 1_000, big: int = 100_000, runs: int = 5) -> list[Row]:
    say(f"notify: a channel's 100 new mentions among {small:,} and among {big:,}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-notify-") as folder:
            config = Path(folder) / "config.toml"
            config.write_text(
                '[[queries]]\nname = "acme"\nmatch = "acme"\n\n[[notify]]\nname = "team"\n'
                'url_env = "BENCH_NOTIFY_URL"\nmax_messages = 50\n',
                encoding="utf-8",
            )
            os.environ["BENCH_NOTIFY_URL"] = f"json://127.0.0.1:{server.server_address[1]}/hook"
            figures = {}
            for count in (small, big):
                started = time.perf_counter()
                path = database(Path(folder), count)
                say(f"  {count:,} mentions made in {seconds(time.perf_counter() - started)}")
                figures[count] = (query_time(path, runs), notify_time(path, config, runs))
                say(f"  query {seconds(figures[count][0])}, notify {seconds(figures[count][1])}")
    finally:
        server.shutdown()
    (q_small, n_small), (q_big, n_big) = figures[small], figures[big]
    return [
        Row(
            f"notify: the query for a channel's {NEW} new mentions, SQLite at {big:,} against {small:,}",
            f"{q_big / q_small:.2f}x ({seconds(q_big)}, {seconds(q_small)})",
            f"≤ {TARGET_RATIO}x, ≤ {seconds(TARGET_QUERY)}",
            q_big / q_small <= TARGET_RATIO and q_big <= TARGET_QUERY,
        ),
        Row(
            f"`mentionscan notify` sending them (1 message), SQLite at {big:,} against {small:,}",
            f"{n_big / n_small:.2f}x ({seconds(n_big)}, {seconds(n_small)} wall)",
            f"≤ {TARGET_RATIO}x",
            n_big / n_small <= TARGET_RATIO,
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(show(main(args.small, args.big, args.runs)))
