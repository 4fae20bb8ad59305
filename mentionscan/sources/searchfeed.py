"""The family of sites whose search answers a feed (RSS or Atom): one request per query.

A type declares its dialect, where its search is and with what parameters (`search`), how one
feed entry becomes ours (`adapt`) and its advice; the request, the time bound, the cursor
(the time of the last successful request: these sites take a time window, not a date) and
the parse, in the pipeline and maybe in another process, are the family's.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import FEED_ACCEPT, PROBE_TEXT, sized, translated
from mentionscan.sources.feed import judged
from mentionscan.sources.feedparse import Adapter, FeedError, parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.sitesource import SiteSource
from mentionscan.sources.translate import to_search_text
from mentionscan.timeutil import to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


class SearchFeed(SiteSource):
    """A site's search that answers RSS or Atom."""

    accept = FEED_ACCEPT
    dialect: ClassVar[str]  # the query translator's name for the site's search syntax
    block_advice: ClassVar[str] = ""  # what to do when the site sends a web page instead (a block)

    @abstractmethod
    def search(self, text: str, since: datetime | None) -> tuple[str, dict[str, Any]]:
        """The path and parameters that search for `text`, published since `since` where it can."""

    @staticmethod
    @abstractmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        """A feed entry as this site means it (None: not a result); runs in the parse job."""

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        text = to_search_text(query.node, self.dialect)
        if not text:
            return TaskResult(warnings=[self.unasked(query.name)], requests=0)
        path, params = self.search(text, self.since(state.cursor()))
        translated(self.name, query.name, path, params)
        response = self.request(client, path, params)
        return TaskResult(parse=self.run_parse(response), cursors={"": to_iso(utcnow()) or ""})

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The search a first fetch makes for the first query (or a plain word), for one result."""
        texts = [text for q in queries if (text := to_search_text(q.node, self.dialect))]
        path, params = self.search(texts[0] if texts else PROBE_TEXT, self.since(None))
        response = self.request(client, path, sized(params, self.size_param))
        job = self.run_parse(response)
        judged(response, job)  # as fetch judges it: a block page is a failure, not OK
        return response

    def run_parse(self, response: Response) -> ParseJob:
        kwargs = {"url": response.url, "source": self.name, "source_type": self.type, "adapt": self.adapt}
        if self.block_advice:
            kwargs["blocked"] = (
                f"{self.site.name} sent a web page instead of search results: {self.block_advice}"
            )
        return ParseJob(parse_results, response.body, dict(response.headers), kwargs)


def parse_results(
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    source: str,
    source_type: str,
    adapt: Adapter,
    blocked: str = "",
) -> ParsedFeed:
    """The results of a search feed; `blocked` is the error when the answer is a web page."""
    try:
        return parse_feed(
            body, headers, url=url, source=source, source_type=source_type, key_scope="global", adapt=adapt
        )
    except FeedError as exc:
        if blocked and "HTML page" in str(exc):
            raise FeedError(blocked) from None
        raise
