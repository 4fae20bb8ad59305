"""Matching: 100,000 entries of about 780 characters against 1,000 queries, and against 10.

    python bench/match.py [--entries 100000] [--runs 3]

Entries are made the way the fetch benchmark's feeds are (a title, a body of plain text, a tag
and a link; one in forty names a product). The matcher is called as the pipeline calls it: one
`Matcher` for every query, then `match(document, names)` per entry with the list of every
query's name. Compiling the queries is timed apart. Figures are medians over the runs.

`lang:` is measured on the same 1,000 queries with `lang:en` added to every tenth of them, and to
all of them: an entry has its language detected (once) only when a query with `lang:` is about
to accept it, so the cost follows how many entries match such queries, not how many are read.
"""

from __future__ import annotations

import argparse
import random
import time

from common import Row, median, say, show
from feedgen import WORDS, entry_text, queries

from mentionscan.matching.matcher import Document, Matcher

TARGET_RATE = 50_000  # entries per second at 1,000 queries
TARGET_SLOWDOWN = 2.0  # 1,000 queries against 10
TARGET_LANG = 0.8  # throughput kept when a tenth of the queries also say `lang:en`


def documents(count: int) -> list[Document]:
    rng = random.Random(1)
    found = []
    for index in range(count):
        title, body = entry_text(rng, index)
        url = f"https://blog{index % 500}.example.com/posts/{index}"
        found.append(Document(title=title, text=body, tags=(rng.choice(WORDS),), url=url, author="Writer"))
    return found


def rate(docs: list[Document], count: int, runs: int, lang: int = 0) -> tuple[float, float, int]:
    """(entries per second, seconds to compile, entries matched) for `count` queries.

    With `lang`, every `lang`-th query also says `lang:en`.
    """
    chosen = [
        (n, f"({e}) lang:en" if lang and i % lang == 0 else e) for i, (n, e) in enumerate(queries(count))
    ]
    started = time.perf_counter()
    matcher = Matcher(chosen)
    compile_time = time.perf_counter() - started
    names = [name for name, _ in chosen]
    rates = []
    matched = 0
    for _ in range(runs):
        started = time.perf_counter()
        matched = sum(1 for doc in docs if matcher.match(doc, names))
        rates.append(len(docs) / (time.perf_counter() - started))
    return median(rates), compile_time, matched


def main(entries: int = 100_000, runs: int = 3) -> list[Row]:
    say(f"match: {entries} entries against 10 and 1,000 queries")
    docs = documents(entries)
    average = sum(len(d.title) + len(d.text) for d in docs) / len(docs)
    few, few_compile, few_matched = rate(docs, 10, runs)
    many, many_compile, many_matched = rate(docs, 1000, runs)
    Matcher([("warm", "x lang:en")]).match(Document(title="x"))  # the model loads once per process
    tenth, _, _ = rate(docs, 1000, runs, lang=10)
    every, _, every_matched = rate(docs, 1000, runs, lang=1)
    say(
        f"  {average:.0f} characters an entry; 10 queries: {few:,.0f}/s ({few_matched} matched, compiled in "
        f"{few_compile * 1000:.0f} ms); 1,000 queries: {many:,.0f}/s ({many_matched} matched, compiled in "
        f"{many_compile * 1000:.0f} ms)"
    )
    say(
        f"  1,000 queries, lang:en in a tenth: {tenth:,.0f}/s; in all: {every:,.0f}/s ({every_matched} found)"
    )
    slowdown = few / many
    return [
        Row(
            f"match {entries:,} entries against 1,000 queries",
            f"{many:,.0f} entries/s",
            f"≥ {TARGET_RATE:,} entries/s",
            many >= TARGET_RATE,
        ),
        Row(
            "  the same against 10 queries, and the slowdown",
            f"{few:,.0f} entries/s; {slowdown:.2f}x",
            f"≤ {TARGET_SLOWDOWN:.0f}x slower at 1,000",
            slowdown <= TARGET_SLOWDOWN,
        ),
        Row(
            "  the 1,000 with lang:en in a tenth of them; in all of them",
            f"{tenth:,.0f} entries/s, {tenth / many:.2f}x; {every:,.0f}/s, {every / many:.2f}x",
            f"≥ {TARGET_LANG:.1f}x the rate without, for a tenth",
            tenth / many >= TARGET_LANG,
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.entries, args.runs)))
