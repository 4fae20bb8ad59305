"""500 feeds of 50 entries, 200 ms latency each, 10 queries: mentionscan `fetch` against rss2email
and feed2exec fetching the same feeds from the same server, then mentionscan again with the
server answering 304, and mentionscan's peak memory.

    python bench/fetch.py [--runs 3] [--no-peers] [--feeds 500] [--latency 0.2]

Every program runs as a user would start it, in its own process with a fresh home folder and a
cold database, under bench/hosts.py so that each feed is on its own host name (all 127.0.0.1).
Neither peer sends mail: rss2email runs `run --no-send`, feed2exec uses its `null` output plugin
with `fetch --parallel` (its faster mode, parsing in a process pool).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from common import (
    FeedServer,
    Row,
    Run,
    feed_server,
    median,
    mib,
    run_program,
    say,
    seconds,
    show,
    under_hosts,
)
from feedgen import QUERIES_10, feed_url

# Issue 17's: twice the network's floor (500 / 64 x 0.2 s = 1.6 s), 40x each peer, 304s in 2 s
TARGET_COLD = 3.2  # seconds, and at least TARGET_RATIO times faster than each peer
TARGET_RATIO = 40.0
TARGET_304 = 2.0
TARGET_MEMORY = 120 * (1 << 20)
ENTRY = "mentionscan.__main__:run"  # what the `mentionscan` console script runs


def toml(value: str) -> str:
    return json.dumps(value)


def mentionscan_config(
    folder: Path, port: int, feeds: int, queries: Sequence[tuple[str, str]] = QUERIES_10
) -> Path:
    lines = ["[settings]", 'database = "mentions.json"', ""]
    for name, expression in queries:
        lines += ["[[queries]]", f"name = {toml(name)}", f"match = {toml(expression)}", ""]
    for n in range(feeds):
        lines += ["[[sources]]", f'name = "blog{n}"', 'type = "feed"', f"url = {toml(feed_url(n, port))}", ""]
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_mentionscan(config: Path) -> Run:
    run = run_program(
        under_hosts(ENTRY, "fetch", "--config", str(config), "--format", "json", "--quiet"),
        env={"MENTIONSCAN_HOME": str(config.parent)},
    )
    if run.returncode != 0:
        raise SystemExit(f"mentionscan fetch failed ({run.returncode}): {run.stderr[-2000:]}")
    return run


def check_answers(server: FeedServer, status: str, feeds: int, who: str) -> None:
    stats = server.stats()
    if stats.get(status) != feeds:
        raise SystemExit(f"{who}: expected {feeds} answers {status}, the server counted {stats}")
    server.reset()


def measure_mentionscan(server: FeedServer, feeds: int, runs: int) -> tuple[list[Run], list[Run], int]:
    cold: list[Run] = []
    warm: list[Run] = []
    found = 0
    for index in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-mentionscan-") as folder:
            config = mentionscan_config(Path(folder), server.port, feeds)
            server.reset()
            run = run_mentionscan(config)
            check_answers(server, "200", feeds, "mentionscan (cold)")
            found = len(json.loads(run.stdout))
            say(
                f"  mentionscan cold run {index + 1}: {seconds(run.wall)}, {found} new mentions, "
                f"peak {mib(run.peak_rss)} (tree {mib(run.peak_tree_rss)}), {seconds(run.cpu)} of CPU"
            )
            cold.append(run)
            again = run_mentionscan(config)
            check_answers(server, "304", feeds, "mentionscan (304)")
            if json.loads(again.stdout):
                raise SystemExit("mentionscan found new mentions on the 304 run")
            say(f"  mentionscan 304 run {index + 1}: {seconds(again.wall)}, {seconds(again.cpu)} of CPU")
            warm.append(again)
    return cold, warm, found


def measure_rss2email(server: FeedServer, feeds: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-rss2email-") as folder:
        home = Path(folder)
        config, data = home / "rss2email.cfg", home / "rss2email.json"
        new = run_program(
            under_hosts("rss2email.main:run", "-c", str(config), "-d", str(data), "new", "me@example.invalid")
        )
        if new.returncode != 0:
            raise SystemExit(f"r2e new failed: {new.stderr}")
        sections = [f"[feed.blog{n}]\nurl = {feed_url(n, server.port)}\n" for n in range(feeds)]
        with config.open("a", encoding="utf-8") as file:
            file.write("\n" + "\n".join(sections))
        server.reset()
        run = run_program(
            under_hosts("rss2email.main:run", "-c", str(config), "-d", str(data), "run", "--no-send"),
            env={"HOME": str(home)},
        )
        if run.returncode != 0:
            raise SystemExit(f"r2e run failed ({run.returncode}): {run.stderr[-2000:]}")
        check_answers(server, "200", feeds, "rss2email")
        seen = sum(len(feed.get("seen", {})) for feed in json.loads(data.read_text())["feeds"])
        say(f"  rss2email: {seconds(run.wall)}, {seen} entries marked seen, peak {mib(run.peak_rss)}")
        return run


def measure_feed2exec(server: FeedServer, feeds: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-feed2exec-") as folder:
        home = Path(folder)
        config, database = home / "feed2exec.ini", home / "feed2exec.db"
        sections = [
            f"[blog{n}]\nurl = {feed_url(n, server.port)}\noutput = feed2exec.plugins.null\n"
            for n in range(feeds)
        ]
        config.write_text("\n".join(sections), encoding="utf-8")
        server.reset()
        run = run_program(
            under_hosts(
                "feed2exec.__main__:main",
                "--config",
                str(config),
                "--database",
                str(database),
                "fetch",
                "--parallel",
            ),
            env={"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")},
        )
        if run.returncode != 0:
            raise SystemExit(f"feed2exec fetch failed ({run.returncode}): {run.stderr[-2000:]}")
        check_answers(server, "200", feeds, "feed2exec")
        with sqlite3.connect(database) as conn:
            seen = conn.execute("SELECT count(*) FROM feedcache").fetchone()[0]
        conn.close()
        say(f"  feed2exec: {seconds(run.wall)}, {seen} entries processed, peak {mib(run.peak_rss)}")
        return run


def main(runs: int = 3, peers: bool = True, feeds: int = 500, latency: float = 0.2) -> list[Row]:
    say(f"fetch: {feeds} feeds x 50 entries, {latency * 1000:.0f} ms latency, 10 queries")
    with feed_server(feeds, 50, latency) as server:
        cold, warm, found = measure_mentionscan(server, feeds, runs)
        r2e = measure_rss2email(server, feeds) if peers else None
        f2e = measure_feed2exec(server, feeds) if peers else None
    ours = median([r.wall for r in cold])
    row = Row(
        f"fetch {feeds} feeds x 50 entries, {latency * 1000:.0f} ms latency, 10 queries, cold db",
        seconds(ours),
        f"≤ {TARGET_COLD:.1f} s and ≥ {TARGET_RATIO:.0f}x faster than each",
        ours <= TARGET_COLD,
    )
    if r2e is not None and f2e is not None:
        ratio_r2e, ratio_f2e = r2e.wall / ours, f2e.wall / ours
        row.rss2email, row.feed2exec = seconds(r2e.wall), seconds(f2e.wall)
        row.ratio = f"{ratio_r2e:.1f}x / {ratio_f2e:.1f}x"
        row.met = row.met and min(ratio_r2e, ratio_f2e) >= TARGET_RATIO
    again = median([r.wall for r in warm])
    memory = max(r.peak_rss for r in cold)
    tree = max(r.peak_tree_rss for r in cold)
    rows = [
        row,
        Row(
            "the same run again, every feed answering 304",
            seconds(again),
            f"≤ {TARGET_304:.0f} s",
            again <= TARGET_304,
        ),
        Row(
            f"peak memory of the {feeds}-feed run (largest process; whole tree summed)",
            f"{mib(memory)}; {mib(tree)}",
            f"≤ {TARGET_MEMORY >> 20} MiB (both)",
            memory <= TARGET_MEMORY and tree <= TARGET_MEMORY,
        ),
    ]
    if r2e is not None and f2e is not None:
        rows[-1].rss2email, rows[-1].feed2exec = (
            mib(r2e.peak_rss),
            f"{mib(f2e.peak_rss)}; {mib(f2e.peak_tree_rss)}",
        )
    say(f"  ({found} new mentions per cold run)")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="only mentionscan")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    print(show(main(args.runs, not args.no_peers, args.feeds, args.latency)))
