"""Queries at scale: the read commands on SQLite databases of 2,000 and of 200,000 mentions.

    python bench/queries.py [--small 2000] [--big 200000] [--runs 5]

Both databases hold realistic mentions (two years of them from 40 sources and 500 sites, most
`new`, a quarter resolved or ignored, 20,000 authors of whom a few come back again and again,
titles, snippets and texts of a few hundred words, digested daily), and both hold the same 20
mentions with the word `zeppelin` and the same 40 with a report-back date (30 of them due): so
each command prints as much from either, and what grows is only the history behind it. Each
is made through the backend's own rows (`store.fill_sqlite`); the big one once, kept in
bench/results/ (git-ignored).

Then each command runs as a user types it (`mentionscan … --db sqlite:///…`, a fresh process,
one untimed run first), median of 5 at each size, and the ratio of the two. Beside each, the
store query the command needs, timed in this process (open, query, close): what the command
costs the store once it asks for just that.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from common import PYTHON, Row, median, say, seconds, show
from store import fill_sqlite, kept_sqlite

from mentionscan.dedup import mention_id
from mentionscan.models import Event, Mention
from mentionscan.store import MentionFilter, Order, Store, open_store
from mentionscan.store.interface import words_of

TARGET_RATIO = 1.5
TARGET_WALL = 0.4
CACHE_VERSION = 3  # of the kept database's contents: change it when `realistic` changes
WORD = "zeppelin"
PLANTED_WORD = 20
PLANTED_DUE = 40  # of which the first 30 are due
START = datetime(2024, 11, 20, tzinfo=UTC)
SPAN = timedelta(days=730)
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "so", "du", "fa", "gi", "ho", "ju"]
VOCABULARY = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("", "n", "s", "ter")]
FIRST = [f"{a}{b}".title() for a in SYLLABLES[:10] for b in SYLLABLES[5:15]]
LAST = [f"{a}{b}{c}".title() for a in SYLLABLES[:10] for b in SYLLABLES[:10] for c in ("", "son")]
AUTHOR_WEIGHTS = list(accumulate(1 / (rank + 20) for rank in range(len(FIRST) * len(LAST))))
SOURCES = [(name, kind) for name, kind in (("hn", "hn"), ("reddit", "reddit"), ("lobsters", "lobsters"))] + [
    (f"blog{n}", "feed") for n in range(37)
]
STATUSES = (("new", 60), ("todo", 5), ("contacted", 5), ("replied", 5), ("resolved", 10), ("ignored", 15))


def planted(total: int, count: int, offset: float) -> dict[int, int]:
    """`count` mention numbers spread evenly over `total`, each with its rank."""
    return {int((k + offset) * total / count): k for k in range(count)}


def realistic(number: int, total: int, word_at: dict[int, int], due_at: dict[int, int]) -> Mention:
    rng = random.Random(number)
    source, kind = SOURCES[min(int(rng.paretovariate(1.0)) - 1, len(SOURCES) - 1)]
    host = f"site{rng.randrange(500)}.example.com"
    url = f"https://{host}/posts/{number}"
    keys = (f"u:{url}", f"g:{source}:{number}")
    found = (START + SPAN * number / total).replace(microsecond=0)
    published = found - timedelta(seconds=rng.randrange(48 * 3600)) if rng.random() < 0.85 else None
    author = None
    if rng.random() < 0.75:
        # Skewed, as real ones are: a few people write about the product again and again (the
        # busiest of 20,000 authors writes about one mention in 170).
        who = rng.choices(range(len(FIRST) * len(LAST)), cum_weights=AUTHOR_WEIGHTS)[0]
        author = f"{FIRST[who % len(FIRST)]} {LAST[who // len(FIRST)]}"
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    timeline = [Event(found, "found", f"found by {source} for acme")]
    due = None
    if number in due_at:
        rank = due_at[number]
        status = "contacted" if rank % 2 else "todo"
        due = (
            START + timedelta(days=rank)
            if rank < 30
            else datetime(2036, 1, 1, tzinfo=UTC) + timedelta(days=rank)
        )
    if status in ("contacted", "replied"):
        timeline.append(Event(found + timedelta(days=1), "status", "contacted"))
    words = [rng.choice(VOCABULARY) for _ in range(rng.randrange(60, 160))]
    if number in word_at:
        words.insert(rng.randrange(len(words)), WORD.title())
    return Mention(
        id=mention_id(keys[0]),
        url=url,
        title="Acme " + " ".join(rng.choice(VOCABULARY) for _ in range(rng.randrange(4, 9))).capitalize(),
        snippet=" ".join(words[:30]),
        author=author,
        author_url=f"https://{host}/about" if author else None,
        author_email=None,
        published=published,
        found_at=found,
        source=source,
        source_type=kind,
        queries=("acme",) if rng.random() < 0.7 else ("acme", "acme widgets"),
        status=status,
        keys=keys,
        text=" ".join(words),
        timeline=tuple(timeline),
        due=due,
        digested_at=found + timedelta(days=1) if number < total - 50 else None,  # a digest a day
    )


def make_database(path: Path, total: int) -> None:
    word_at, due_at = planted(total, PLANTED_WORD, 0.5), planted(total, PLANTED_DUE, 0.25)
    fill_sqlite(path, (realistic(n, total, word_at, due_at) for n in range(total)))


# What the commands need from the store, asked as they will ask it once rewired to the queries


def open_statuses() -> tuple[str, ...]:
    return ("new", "todo", "contacted", "replied")


def store_list(store: Store) -> int:
    shown = list(store.mentions(MentionFilter(statuses=("new", "todo"), limit=20)))
    store.authors({m.author_key for m in shown})
    return len(shown)


def store_show(prefix: str) -> Callable[[Store], int]:
    def show_one(store: Store) -> int:
        mention = store.resolve(prefix)
        store.authors([mention.author_key])
        return 1

    return show_one


def store_followups(store: Store) -> int:
    tomorrow = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    due = MentionFilter(statuses=open_statuses(), due_before=tomorrow.astimezone(UTC), order=Order.DUE)
    return len(list(store.mentions(due)))


def store_search(store: Store) -> int:
    return len(list(store.mentions(MentionFilter(words=tuple(words_of(WORD))))))


def store_info(store: Store) -> int:
    store.states()
    return store.count()


def in_process(location: str, query: Callable[[Store], int], runs: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        with open_store(location, write=False) as store:
            found = query(store)
        times.append(time.perf_counter() - started)
    return median(times[1:]), found


def command_wall(command: list[str], env: dict[str, str], runs: int) -> tuple[float, str]:
    """Median wall time of `command` (after one untimed run), and what it printed."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return median(times), done.stdout


def short_id(location: str, total: int) -> str:
    """The shortest prefix (7 characters at least) that names the middle mention alone, as a user types it."""
    word_at, due_at = planted(total, PLANTED_WORD, 0.5), planted(total, PLANTED_DUE, 0.25)
    wanted = realistic(total // 2, total, word_at, due_at).id
    with open_store(location, write=False) as store:
        for length in range(7, len(wanted) + 1):
            if store.resolve(wanted[:length]).id == wanted:
                return wanted[:length]
    return wanted


def main(small: int = 2000, big: int = 200_000, runs: int = 5) -> list[Row]:
    say(f"queries: the read commands at {small:,} and at {big:,} mentions (SQLite), median of {runs}")
    script = shutil.which("mentionscan", path=str(Path(PYTHON).parent)) or shutil.which("mentionscan")
    command = [script] if script else [PYTHON, "-m", "mentionscan"]
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as folder:
        paths = {small: Path(folder) / "small.db", big: Path(folder) / "big.db"}
        started = time.perf_counter()
        make_database(paths[small], small)
        say(f"  {small:,} mentions made in {seconds(time.perf_counter() - started)}")
        kept_sqlite(f"queries-{big}-v{CACHE_VERSION}.db", paths[big], lambda p: make_database(p, big))
        # A home of its own, and a terminal's width (a pipe would get rich's 80 columns).
        env = {**os.environ, "MENTIONSCAN_HOME": folder, "NO_COLOR": "1", "COLUMNS": "120"}
        locations = {size: f"sqlite:///{path}" for size, path in paths.items()}
        ids = {size: short_id(location, size) for size, location in locations.items()}
        rows = []
        for name, args, query in (
            ("list --limit 20", lambda size: ["list", "--limit", "20"], lambda size: store_list),
            ("show ID", lambda size: ["show", ids[size]], lambda size: store_show(ids[size])),
            ("followups", lambda size: ["followups"], lambda size: store_followups),
            (f"search {WORD}", lambda size: ["search", WORD], lambda size: store_search),
            # Not a target: a command that already asks the store for no more than it needs (a
            # count and the states), to show what a read command costs before its query.
            ("db info", lambda size: ["db", "info"], lambda size: store_info),
        ):
            walls, printed, store_times, found = {}, {}, {}, {}
            for size, location in locations.items():
                walls[size], printed[size] = command_wall(
                    [*command, *args(size), "--db", location], env, runs
                )
                store_times[size], found[size] = in_process(location, query(size), runs)
            judged = name != "db info"
            if judged and found[small] != found[big]:
                raise SystemExit(f"{name}: the store found {found[small]} and {found[big]}, not the same")
            ratio, store_ratio = walls[big] / walls[small], store_times[big] / store_times[small]
            lines = [len(printed[size].splitlines()) for size in (small, big)]
            say(
                f"  mentionscan {name}: {seconds(walls[small])} → {seconds(walls[big])} ({ratio:.1f}x, "
                f"{lines[0]} and {lines[1]} lines out); the store's query: {seconds(store_times[small])} → "
                f"{seconds(store_times[big])} ({store_ratio:.1f}x, {found[big]} found)"
            )
            rows.append(
                Row(
                    f"`mentionscan {name}`, {small:,} → {big:,} mentions (SQLite), wall",
                    f"{seconds(walls[small])} → {seconds(walls[big])}",
                    f"≤ {TARGET_RATIO}x, each ≤ {TARGET_WALL * 1000:.0f} ms" if judged else "",
                    ratio <= TARGET_RATIO and max(walls.values()) <= TARGET_WALL if judged else None,
                    ratio=f"{ratio:.1f}x",
                )
            )
            rows.append(
                Row(
                    "  the store's query behind it, in process (open, query, close)",
                    f"{seconds(store_times[small])} → {seconds(store_times[big])}",
                    "",
                    None,
                    ratio=f"{store_ratio:.1f}x",
                )
            )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="mentions in the small database")
    parser.add_argument("--big", type=int, default=200_000, help="mentions in the big database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(show(main(args.small, args.big, args.runs)))
