"""The family of sites whose search (or a timeline that works like one) answers JSON.

A query is one or more requests (`asks`: one per alternative for a site without OR, one per
hashtag, ...), each read a few pages. A type declares its asks, how its answer says there is
another page (`next_page`), where the results are in it (`items`), how one becomes an Entry
(`entry`) and its advice; the requests, paging, merging, cursors and probe are the family's.

Cursors are kept per ask key ("" when one cursor serves the whole query): the newest time
seen (`cursor_kind = "time"`), or the newest of the site's own ids (`"id"`), or none (`""`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from mentionscan.errors import FetchError
from mentionscan.matching.matcher import parse_query
from mentionscan.models import Entry
from mentionscan.sources.common import PROBE_TEXT, newest_id, newest_time, sized, translated, unreadable
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.sitesource import SiteSource
from mentionscan.urls import redact

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


@dataclass(frozen=True, slots=True)
class Ask:
    """One request a query needs: where, with what, and the cursor it reads and moves."""

    path: str
    params: Mapping[str, Any]
    key: str = ""
    page: int = 1

    def next(self, **params: Any) -> Ask:
        """The request for the following page: these parameters added or changed."""
        return replace(self, params={**self.params, **params}, page=self.page + 1)


class SearchApi(SiteSource):
    """A site's JSON search API."""

    max_searches: ClassVar[int | None] = None  # at most this many asks per query (a site without OR)
    max_pages: ClassVar[int] = 1  # per ask
    cursor_kind: ClassVar[Literal["time", "id", ""]] = "time"
    merge_repeats: ClassVar[bool] = True  # an item two asks (or pages) found counts once

    def not_asked(self, query: QueryPlan) -> str | None:
        """Why `query` cannot be asked here at all, beyond having no term the site searches."""
        return None

    @abstractmethod
    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        """The requests `query` needs, bounded by `state`'s cursors; [] when it has nothing to ask."""

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        """The request for the page after `ask`'s answer `data` (with `count` items), if any."""
        return None

    def cut(self, ask: Ask) -> str | None:
        """What to say when `max_pages` were read and the site had more."""
        return None

    @abstractmethod
    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        """One result as an Entry; None when it has nothing usable."""

    def mark(self, item: Mapping[str, Any], entry: Entry | None) -> object:
        """What a result moves its ask's cursor to: its time, or its id for `cursor_kind = "id"`."""
        return entry.published if entry is not None else None

    def notes(self, data: Any, ask: Ask) -> list[str]:
        """Warnings an answer carries (a quota running out, a search that timed out)."""
        return []

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        reason = self.not_asked(query)
        asks = [] if reason else self.asks(query, state)
        if not asks:
            return TaskResult(warnings=[reason or self.unasked(query.name)], requests=0)
        result = TaskResult(requests=0)
        if self.max_searches and len(asks) > self.max_searches:
            result.warnings.append(
                f"query {query.name!r} needs {len(asks)} searches here (no OR on {self.site.name}); "
                f"only the first {self.max_searches} were asked"
            )
            asks = asks[: self.max_searches]
        entries: dict[object, Entry] = {}
        marks: dict[str, list[object]] = {ask.key: [] for ask in asks}
        seen = 0
        for ask in asks:
            translated(self.name, query.name, ask.path, ask.params)
            for item in self._results(client, ask, result):
                seen += 1
                entry = self.entry(item)
                marks[ask.key].append(self.mark(item, entry))
                if entry is not None:
                    entries[(entry.native_id or entry.url) if self.merge_repeats else len(entries)] = entry
        result.entries = list(entries.values())
        if seen and not entries:
            result.warnings.append(unreadable(seen, self.site.name))
        result.cursors = self._cursors(state, marks)
        return result

    def _results(self, client: HttpClient, ask: Ask, result: TaskResult) -> Iterator[Mapping[str, Any]]:
        while True:
            data, found = self.read(client, ask.path, ask.params)
            result.requests += 1
            result.warnings += self.notes(data, ask)
            yield from found
            following = self.next_page(ask, data, len(found))
            if following is None:
                return
            if ask.page >= self.max_pages:
                result.warnings += [note for note in [self.cut(ask)] if note]
                return
            ask = following

    def _cursors(self, state: TaskState, marks: Mapping[str, list[object]]) -> dict[str, str] | None:
        if not self.cursor_kind:
            return None
        moved = {
            key: newest_id([state.cursor(key), *seen])
            if self.cursor_kind == "id"
            else newest_time(state.cursor(key), [t for t in seen if isinstance(t, datetime)])
            for key, seen in marks.items()
        }
        return {key: value for key, value in moved.items() if value}

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The first request a first fetch makes for the first query it can ask, for one result."""
        for query in [*queries, probe_plan()]:
            asks = [] if self.not_asked(query) else self.asks(query, TaskState())
            if asks:
                response = self.request(client, asks[0].path, sized(asks[0].params, self.size_param))
                if self.items(self.decode(response)) is None:  # as fetch judges it
                    raise FetchError(f"{redact(response.url)}: {self.not_an_answer}", status=response.status)
                return response
        raise NotImplementedError  # nothing to ask: `doctor` runs the first task instead


def probe_plan() -> QueryPlan:
    """A query that every site's search can ask, for a probe when no configured query can be."""
    return QueryPlan(PROBE_TEXT, PROBE_TEXT, parse_query(PROBE_TEXT))
