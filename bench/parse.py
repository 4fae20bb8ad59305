"""Parse throughput, one core: `parse_feed` as a run calls it, and the same with feedparser alone.

    python bench/parse.py [--runs 3]

Two sets of documents: every feed document of ../shared/feeds/ (feedparser's own test corpus and
the peers' documents: most are a few hundred bytes, testing one element each) and 200 feeds of
the fetch benchmark (50 entries, about 55 KB each, like a blog's feed). Each set is parsed whole
in this process, from bytes already in memory, with fastfeedparser in front (what mentionscan
does) and with feedparser alone (what it did before), in turn; figures are medians over the
runs, and the ratio is of the two medians.
"""

from __future__ import annotations

import argparse
import contextlib
import time

from common import ROOT, Row, median, say, show
from feedgen import feed_xml

from mentionscan.sources import feedparse

SHARED_FEEDS = ROOT.parent / "shared" / "feeds"
TARGET_RATIO = 2.0  # the fetch benchmark's feeds, ours against feedparser alone


def shared_documents() -> list[bytes]:
    skip = {".py", ".txt", ".json", ".md", ".html"}
    paths = sorted(p for p in SHARED_FEEDS.rglob("*") if p.is_file() and p.suffix not in skip)
    return [p.read_bytes() for p in paths]


def parse_once(documents: list[bytes], fast: bool) -> float:
    """Seconds to parse every document once, with fastfeedparser in front or feedparser alone."""
    original = feedparse.fast_feed
    if not fast:
        feedparse.fast_feed = lambda *args: None  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for body in documents:
            with contextlib.suppress(feedparse.FeedError):  # a document that is not a feed
                feedparse.parse_feed(body, {}, url="https://example.org/feed", source="s")
        return time.perf_counter() - started
    finally:
        feedparse.fast_feed = original


def parse_all(documents: list[bytes], runs: int) -> tuple[float, float]:
    """Medians of (ours, feedparser alone), the two taken in turn so that both see the same load."""
    ours, before = [], []
    for _ in range(runs):
        ours.append(parse_once(documents, fast=True))
        before.append(parse_once(documents, fast=False))
    return median(ours), median(before)


def main(runs: int = 3) -> list[Row]:
    sets = [("the fetch benchmark's feeds (200 x 50 entries)", [feed_xml(n) for n in range(200)])]
    if SHARED_FEEDS.is_dir():
        sets.append(("../shared/feeds/ (feedparser's corpus and the peers')", shared_documents()))
    rows = []
    say(f"parse: one core, median of {runs}")
    for index, (name, documents) in enumerate(sets):
        size = sum(len(d) for d in documents) / 1e6
        ours, before = parse_all(documents, runs)
        figure = f"{len(documents) / ours:,.0f} docs/s, {size / ours:.1f} MB/s"
        was = f"{len(documents) / before:,.0f} docs/s, {size / before:.1f} MB/s"
        say(f"  {name}: {figure}; feedparser alone {was}")
        rows.append(
            Row(
                f"parse {name}, {len(documents):,} documents, {size:.1f} MB (feedparser alone)",
                f"{figure} ({was})",
                f"≥ {TARGET_RATIO:.0f}x feedparser alone" if index == 0 else "",
                before / ours >= TARGET_RATIO if index == 0 else None,
                ratio=f"{before / ours:.1f}x",
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(show(main(args.runs)))
