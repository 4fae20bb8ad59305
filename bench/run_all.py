"""Run every benchmark and print one table; the table also goes to bench/results/latest.md.

    python bench/run_all.py [--runs 3] [--no-peers]

Takes about sixteen minutes on a 2-core machine, most of it rss2email and feed2exec fetching 500
feeds one after the other. Nothing leaves 127.0.0.1 (see bench/hosts.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

import fetch
import inbox
import interrupt
import match
import notify
import onefeed
import parse
import queries
import startup
import store
from common import BENCH, Row, say, seconds, show

from mentionscan import __version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure where a median is taken")
    parser.add_argument("--no-peers", action="store_true", help="skip rss2email and feed2exec")
    parser.add_argument("--no-team", action="store_true", help="skip team mode on PostgreSQL (bench/team.py)")
    args = parser.parse_args()
    started = time.perf_counter()
    load = os.getloadavg()[0]
    rows: list[Row] = []
    rows += fetch.main(runs=args.runs, peers=not args.no_peers)
    rows += parse.main(runs=args.runs)
    rows += match.main(runs=args.runs)
    rows += store.main(runs=args.runs)
    rows += onefeed.main(runs=args.runs)
    rows += queries.main(runs=max(args.runs, 5))
    rows += notify.main(runs=max(args.runs, 5))
    rows += startup.main()
    rows += interrupt.main()
    rows += inbox.main(runs=args.runs)
    if not args.no_team:
        import team  # needs psycopg (the postgres extra) and a PostgreSQL server, or Debian's package

        rows += team.main(runs=args.runs)
    took = time.perf_counter() - started
    table = show(rows)
    print(table)
    met = sum(1 for r in rows if r.met)
    judged = sum(1 for r in rows if r.met is not None)
    say(f"{met} of {judged} targets met, in {seconds(took)}")
    context = (
        f"mentionscan {__version__}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load:.2f} at the start; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; took {seconds(took)}; {met} of {judged} targets met."
    )
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(f"{context}\n\n{table}\n", encoding="utf-8")
    say(f"written to {results / 'latest.md'}")
    sys.exit(0 if met == judged else 1)


if __name__ == "__main__":
    main()
