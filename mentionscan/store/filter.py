"""Choosing stored mentions: the filters `list`, `mark`, `export` and `digest` share.

`Filter` is the command-line shape of a `MentionFilter` (`since` is `published_since`), kept
for the callers that still select in Python; its meaning is `MentionFilter.accepts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mentionscan.models import Mention
from mentionscan.store.interface import MentionFilter, sort_time
from mentionscan.store.interface import select as select_mentions

__all__ = ["OPEN_STATUSES", "Filter", "newest_first", "select", "sort_time", "statuses_for"]

OPEN_STATUSES = ("new", "todo")
NEWEST = MentionFilter()


@dataclass(frozen=True, slots=True)
class Filter:
    statuses: tuple[str, ...] = ()  # empty: any
    queries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        self.as_mention_filter()  # the same checks, the same messages

    def as_mention_filter(self) -> MentionFilter:
        return MentionFilter(
            statuses=self.statuses,
            queries=self.queries,
            sources=self.sources,
            published_since=self.since,
            limit=self.limit,
        )

    def accepts(self, mention: Mention) -> bool:
        return self.as_mention_filter().accepts(mention)


def newest_first(mentions: Iterable[Mention]) -> list[Mention]:
    return sorted(mentions, key=NEWEST.sort_key, reverse=True)


def select(mentions: Iterable[Mention], selection: Filter) -> list[Mention]:
    """The mentions `selection` accepts, newest first, at most `limit`."""
    return select_mentions(mentions, selection.as_mention_filter())


def statuses_for(status: Sequence[str] | None, show_all: bool) -> tuple[str, ...]:
    """`--status` as given, else everything with `--all`, else what still wants attention."""
    if status:
        return tuple(status)
    return () if show_all else OPEN_STATUSES
