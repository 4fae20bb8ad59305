"""10,000 feeds on 10,000 host names: one cold `mentionscan fetch` on one machine.

    python bench/many.py [--feeds 10000] [--entries 20] [--latency 0.1] [--queries 100]

Each feed on its own host name (`feedN.bench.test`, all 127.0.0.1 through bench/hosts.py),
20 entries each, 100 ms latency, 100 queries, a cold JSON database. The wall time, the peak
memory of the fetch process and of its whole process tree (the fork server and parse workers
summed), and the most requests the server ever held at once for one host name, which
`per_host` (4) bounds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import Row, feed_server, mib, say, seconds, show
from feedgen import queries
from fetch import mentionscan_config, run_mentionscan

TARGET_WALL = 40.0
TARGET_MEMORY = 250 * (1 << 20)
PER_HOST = 4  # mentionscan's default


def main(feeds: int = 10_000, entries: int = 20, latency: float = 0.1, count: int = 100) -> list[Row]:
    shape = f"{feeds:,} feeds x {entries} entries on {feeds:,} host names, {latency * 1000:.0f} ms"
    say(f"many: {shape}, {count} queries")
    with feed_server(feeds, entries, latency) as server, tempfile.TemporaryDirectory() as folder:
        config = mentionscan_config(Path(folder), server.port, feeds, queries(count))
        server.reset()
        run = run_mentionscan(config)
        stats = server.stats()
    if stats.get("200") != feeds:
        raise SystemExit(f"expected {feeds} answers 200, the server counted {stats}")
    found = len(json.loads(run.stdout))
    busiest = stats["max_per_host"]
    memory = f"peak {mib(run.peak_rss)} (tree {mib(run.peak_tree_rss)})"
    say(f"  {seconds(run.wall)}, {found} new mentions, {memory}, at most {busiest} at once to one host")
    return [
        Row(
            f"fetch {feeds:,} feeds x {entries} entries on {feeds:,} hosts, {latency * 1000:.0f} ms, "
            f"{count} queries, cold",
            seconds(run.wall),
            f"≤ {TARGET_WALL:.0f} s",
            run.wall <= TARGET_WALL,
        ),
        Row(
            "  peak memory (the fetch; the whole tree); most requests at once to one host",
            f"{mib(run.peak_rss)}; {mib(run.peak_tree_rss)}; {busiest}",
            f"≤ {TARGET_MEMORY >> 20} MiB (both); ≤ {PER_HOST}",
            max(run.peak_rss, run.peak_tree_rss) <= TARGET_MEMORY and busiest <= PER_HOST,
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    print(show(main(args.feeds, args.entries, args.latency, args.queries)))
