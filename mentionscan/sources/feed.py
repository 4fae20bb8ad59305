"""Any RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 URL: every query is matched here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import opt
from mentionscan.sources.base import ParseJob, QueryPlan, Source, Task, TaskResult, conditional_get
from mentionscan.sources.feedparse import parse_feed

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient


class FeedSource(Source):
    type = "feed"
    summary = "any RSS, Atom or JSON Feed URL; every query is matched against each entry"
    options = {"url": opt(str, required=True, help="the feed's URL")}
    per_query = False

    @property
    def feed_url(self) -> str:
        return str(self.spec.options["url"])

    def run(
        self, task: Task, query: QueryPlan | None, client: HttpClient, state: Mapping[str, Any]
    ) -> TaskResult:
        response, validators = conditional_get(client, self.feed_url, state, self.host_rate)
        result = TaskResult(validators=validators, moved_to=response.moved_to)
        if response.status == 304:
            result.not_modified = True
            return result
        result.parse = ParseJob(
            parse_feed,
            response.body,
            dict(response.headers),
            {"url": response.url, "source": self.name, "source_type": self.type},
        )
        return result

    def probe(self, client: HttpClient, queries: Any, state: Mapping[str, Any]) -> Any:
        return client.get(self.feed_url)
