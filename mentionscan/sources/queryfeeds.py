"""The family of sites that publish a feed per tag or per search, and no API: Medium, RSSHub, a
self-hosted WordPress.

A query reads the feeds its type names for it (`feeds`: one per tag of a `tag:` query, one per
search): each holds the newest items only, so there is no cursor to keep (what was seen before
is stored once) and `max_age_days` is the bound. A tag the site does not have (404) is a
warning, not a failure; a web page instead of the feed (a bot check) says what to do.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import FEED_ACCEPT
from mentionscan.sources.feedparse import FeedError, parse_feed
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.sitesource import SiteSource

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


class QueryFeeds(SiteSource):
    """A site's feeds by tag or by search, read for each query."""

    accept = FEED_ACCEPT
    asked = "the feed"
    # Said of a tag or route the site does not have (404) instead of failing: {path} {query}.
    no_such_feed: ClassVar[str] = ""
    block_advice: ClassVar[str] = ""  # what to do when the site sends a web page instead of a feed

    @abstractmethod
    def feeds(self, query: QueryPlan) -> list[tuple[str, dict[str, Any]]]:
        """The path and parameters of each feed `query` reads; [] when it has nothing to ask."""

    @staticmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        """A feed entry as this site means it (None: not a result)."""
        return entry

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        asks = self.feeds(query)
        if not asks:
            return TaskResult(warnings=[self.unasked(query.name)], requests=0)
        result = TaskResult(requests=0)
        for path, params in asks:
            try:
                response = self.request(client, path, params)
            except FetchError as exc:
                if exc.status != 404 or not self.no_such_feed:
                    raise
                result.warnings.append(self.no_such_feed.format(path=path, query=query.name))
                continue
            finally:
                result.requests += 1
            parsed = self.parse(response)
            result.entries += parsed.entries
            result.warnings += parsed.warnings
        return result

    def parse(self, response: Response) -> Any:
        """The entries of one feed (a site's entries are its own: their ids are unique on the web)."""
        # the URL names the feed in messages: a key in it is masked
        url = response.url.replace(self.secret, "***") if self.secret else response.url
        try:
            return parse_feed(
                response.body,
                dict(response.headers),
                url=url,
                source=self.name,
                source_type=self.type,
                key_scope="global",
                adapt=self.adapt,
            )
        except FeedError as exc:
            if self.block_advice and "HTML page" in str(exc):
                raise FeedError(
                    f"{self.site.name} sent a web page instead of a feed: {self.block_advice}"
                ) from None
            raise

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The first feed the first query that has one reads."""
        for query in queries:
            if asks := self.feeds(query):
                return self.request(client, *asks[0])
        raise NotImplementedError  # nothing to ask: `doctor` runs the first task instead
