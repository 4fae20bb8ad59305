"""A `MentionFilter` answered in Python, over `(position, mention)` pairs.

The base class merges a backend's stored answer with the unsaved changes through `merged`; a
backend that holds its mentions in memory (JSON, or SQLite reading a database it may not
upgrade) answers with `scan`. A position is where a mention sits in stored order. And how
an id prefix that fits several mentions names them (`candidates`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, cast

from mentionscan.models import Mention
from mentionscan.store.docs import DocumentView
from mentionscan.store.interface import MentionFilter, Order

Pair = tuple[int, Mention]
Tally = tuple[int, datetime | None]  # how many mentions an author has, and the last contact


def pair_key(selection: MentionFilter) -> Callable[[Pair], tuple[Any, ...]]:
    """The ascending sort key of `selection.order` (NEWEST reads it backwards); unique per mention."""
    if selection.order is Order.STORED:
        return lambda pair: (pair[0], pair[1].id)
    return lambda pair: selection.sort_key(pair[1])


def scan(pairs: Iterable[Pair], selection: MentionFilter, exclude: Collection[str] = ()) -> list[Pair]:
    """The pairs `selection` picks, but none whose id is in `exclude`, in its order, at most its limit."""
    chosen = [pair for pair in pairs if pair[1].id not in exclude and selection.accepts(pair[1])]
    chosen.sort(key=pair_key(selection), reverse=selection.order is Order.NEWEST)
    return chosen[: selection.limit] if selection.limit else chosen


def scan_documents(
    docs: Iterable[tuple[int, dict[str, Any]]], path: Path, selection: MentionFilter, exclude: Collection[str]
) -> list[Pair]:
    """`scan` over stored documents, each read only as far as `selection` asks: only the
    mentions it picks are built whole (a screenful of 10,000: a tenth of the time)."""
    # A view answers every field and property of its Mention that a filter or an order reads.
    views = cast(list[Pair], [(position, DocumentView(path, doc)) for position, doc in docs])
    return [(p, cast(DocumentView, view).mention()) for p, view in scan(views, selection, exclude)]


def merged(selection: MentionFilter, stored: Iterable[Pair], pending: list[Pair]) -> Iterator[Mention]:
    """Two answers to `selection`, each in its order (`pending` need not be), as one: its limit applied."""
    key, reverse = pair_key(selection), selection.order is Order.NEWEST
    both: Iterable[Pair] = stored
    if pending:
        both = heapq.merge(stored, sorted(pending, key=key, reverse=reverse), key=key, reverse=reverse)
    if selection.limit:
        both = islice(both, selection.limit)
    return (mention for _, mention in both)


def tally(mentions: Iterable[Mention], wanted: Collection[str]) -> dict[str, Tally]:
    """For each author key in `wanted` that `mentions` carry: how many, and the latest contact."""
    found: dict[str, Tally] = {}
    for mention in mentions:
        key = mention.author_key
        if key in wanted:
            found[key] = add(found.get(key, (0, None)), (1, mention.last_contacted))
    return found


def add(a: Tally, b: Tally) -> Tally:
    last = max((t for t in (a[1], b[1]) if t is not None), default=None)
    return a[0] + b[0], last


AMBIGUOUS_SHOWN = 5


def candidates(prefix: str, matches: list[str]) -> str:
    """Each match cut to the shortest prefix that names only it, so it can be typed back."""
    shown = []
    for index, mention_id in enumerate(matches[:AMBIGUOUS_SHOWN]):
        # In sorted order the longest shared prefix is with a neighbour.
        neighbours = matches[max(index - 1, 0) : index] + matches[index + 1 : index + 2]
        length = len(prefix) + 1
        while length < len(mention_id) and any(n.startswith(mention_id[:length]) for n in neighbours):
            length += 1
        shown.append(mention_id if length >= len(mention_id) else mention_id[:length] + "…")
    more = len(matches) - AMBIGUOUS_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
