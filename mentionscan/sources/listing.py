"""The family of sites read through their newest-first listings instead of a search.

Every query is matched here. A query a tag listing covers (`tag:a OR tag:b`) gets a task of
its own that reads each tag's listing; all the others share one task that reads the site's
newest listing, page by page back to the newest entry of the last run. A type declares the
paths and parameters of both listings, where the results are, how one becomes an Entry, and
its advice; the tasks, paging, cursors and probe are the family's.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import NEWEST, sized, unreadable
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.sitesource import SiteSource
from mentionscan.sources.translate import tag_cover
from mentionscan.timeutil import parse_time, to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


class Listing(SiteSource):
    """A site's newest-first listings (JSON), and its tag listings."""

    # A listing is in publication order: nothing new appears behind its newest entry later.
    lag = timedelta(0)
    refuser = ""  # a refusal keeps the listing's URL
    # How far back a tag listing that takes a time bound asks on its first run (None: it takes
    # none); such a listing's cursor is when it was last asked.
    first_reach: ClassVar[timedelta | None] = None
    # Said of a tag the site does not have (its listing answers 404) instead of failing: {tag} {query}.
    no_such_tag: ClassVar[str] = ""

    @abstractmethod
    def newest(self, page: int) -> tuple[str, dict[str, Any]]:
        """The path and parameters of page `page` (from 1) of the newest listing."""

    @abstractmethod
    def tag_listing(self, tag: str, reach: timedelta | None) -> tuple[str, dict[str, Any]]:
        """The path and parameters of `tag`'s listing, reaching back `reach` where it takes a bound."""

    @abstractmethod
    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        """One listed item as an Entry; None when it has nothing usable."""

    @property
    def max_pages(self) -> int:
        return int(self.spec.get("pages"))

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        tagged = [q for q in queries if tag_cover(q.node)]
        tasks = [Task(self.name, q.name, f"{self.name}\x1f{q.name}") for q in tagged]
        if len(tagged) < len(queries):
            tasks.append(Task(self.name, None, f"{self.name}\x1f{NEWEST}"))
        return tasks

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        tags = tag_cover(query.node) if query is not None else None
        if query is None or not tags:
            return self._newest(client, state)
        now = utcnow()
        reach = self._reach(state, now)
        asked = {"": to_iso(now) or ""} if self.first_reach is not None else None
        result = TaskResult(requests=len(tags), cursors=asked)
        for tag in tags:
            try:
                result.entries += self.entries(client, *self.tag_listing(tag, reach), result.warnings)
            except FetchError as exc:
                if exc.status != 404 or not self.no_such_tag:
                    raise
                result.warnings.append(self.no_such_tag.format(tag=tag, query=query.name))
        return result

    def _reach(self, state: TaskState, now: datetime) -> timedelta | None:
        """How far back a tag listing asks: to the bound, and no further than `first_reach` at first."""
        if self.first_reach is None:
            return None
        since = self.since(state.cursor(), now)
        reach = now - since if since is not None else self.first_reach
        return min(reach, self.first_reach) if parse_time(state.cursor()) is None else reach

    def _newest(self, client: HttpClient, state: TaskState) -> TaskResult:
        warnings: list[str] = []

        def page(number: int) -> list[Entry]:
            return self.entries(client, *self.newest(number), warnings)

        # The first run reads the newest page; later ones page back to the bound.
        since = self.since(state.cursor()) if parse_time(state.cursor()) else None
        entries, newest, requests = newest_first(page, since, self.max_pages)
        cursors = {"": to_iso(newest) or ""} if newest else None
        return TaskResult(entries=entries, cursors=cursors, requests=requests, warnings=warnings)

    def entries(
        self, client: HttpClient, path: str, params: Mapping[str, Any], warnings: list[str]
    ) -> list[Entry]:
        """The readable entries of one listing; `warnings` is told when there were items but none was."""
        _data, found = self.read(client, path, params)
        kept = [entry for entry in map(self.entry, found) if entry is not None]
        if found and not kept:
            warnings.append(unreadable(len(found), self.site.name))
        return kept

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The first request of a fetch (its first task's), for one result, reaching back the least."""
        tags = next((tags for q in queries if (tags := tag_cover(q.node))), None)
        # A tag the site lacks is a warning to a fetch, but would fail a probe: the newest listing
        # shows as well whether the site answers.
        if tags and not self.no_such_tag:
            path, params = self.tag_listing(tags[0], timedelta())
        else:
            path, params = self.newest(1)
        return self.request(client, path, sized(params, self.size_param))


def newest_first(
    fetch_page: Callable[[int], list[Entry]], since: datetime | None, max_pages: int
) -> tuple[list[Entry], datetime | None, int]:
    """Read pages 1, 2, ... of a newest-first listing until one reaches `since`.

    Without a bound (a first run) one page is read. Returns the entries not older than the
    bound, the newest publication time seen (never later than now, never earlier than the
    bound) and the number of requests made.
    """
    entries: list[Entry] = []
    requests = 0
    for page in range(1, (max_pages if since else 1) + 1):
        batch = fetch_page(page)
        requests += 1
        entries += [e for e in batch if since is None or e.published is None or e.published >= since]
        if not batch or since is None or any(e.published and e.published <= since for e in batch):
            break
    times = [e.published for e in entries if e.published is not None]
    newest = max([*times, *([since] if since else [])], default=None)
    return entries, min(newest, utcnow()) if newest is not None else None, requests
