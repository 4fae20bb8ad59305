"""Choosing stored mentions: the filters `list`, `mark`, `export` and `digest` share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mentionscan.errors import ConfigError
from mentionscan.models import STATUSES, Mention

OPEN_STATUSES = ("new", "todo")


@dataclass(frozen=True, slots=True)
class Filter:
    statuses: tuple[str, ...] = ()  # empty: any
    queries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in STATUSES:
                raise ConfigError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("--limit must be 1 or more")

    def accepts(self, mention: Mention) -> bool:
        if self.statuses and mention.status not in self.statuses:
            return False
        if self.queries and not any(q in mention.queries for q in self.queries):
            return False
        if self.sources and mention.source not in self.sources:
            return False
        return not (self.since is not None and sort_time(mention) < self.since)


def sort_time(mention: Mention) -> datetime:
    """When a mention happened, as far as we know: its date, else when we found it."""
    return mention.published or mention.found_at


def newest_first(mentions: Iterable[Mention]) -> list[Mention]:
    return sorted(mentions, key=lambda m: (sort_time(m), m.found_at, m.id), reverse=True)


def select(mentions: Iterable[Mention], selection: Filter) -> list[Mention]:
    """The mentions `selection` accepts, newest first, at most `limit`."""
    chosen = newest_first(m for m in mentions if selection.accepts(m))
    return chosen[: selection.limit] if selection.limit else chosen


def statuses_for(status: Sequence[str] | None, show_all: bool) -> tuple[str, ...]:
    """`--status` as given, else everything with `--all`, else what still wants attention."""
    if status:
        return tuple(status)
    return () if show_all else OPEN_STATUSES
