"""Any RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 URL: every query is matched here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mentionscan.config.model import opt
from mentionscan.sources.feedparse import parse_feed
from mentionscan.sources.google_alerts import alert_entry, is_alerts_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState, Validators
from mentionscan.sources.sitesource import SiteSource

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


class FeedSource(SiteSource):
    type = "feed"
    summary = "any RSS, Atom or JSON Feed URL; every query is matched against each entry"
    options = {
        "url": opt(str, required=True, help="the feed's URL"),
        "group": opt(str, help='a folder for it, "News/Tech" (import-sources keeps OPML folders here)'),
    }
    per_query = False

    @property
    def feed_url(self) -> str:
        """`url`, or with `base_url` its path and query on the scheme and host `base_url` gives."""
        url = str(self.spec.options["url"])
        if not self.spec.base_url:
            return url  # as written, to the letter: some servers read their queries raw
        parts = urlsplit(url)
        return self.url(parts.path, parts.query)

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        response, validators = conditional_get(client, self.feed_url, state, self.host_rate)
        result = TaskResult(validators=validators, moved_to=response.moved_to)
        if response.status == 304:
            result.not_modified = True
            return result
        kwargs: dict[str, Any] = {"url": response.url, "source": self.name, "source_type": self.type}
        if is_alerts_feed(str(self.spec.options["url"])):
            kwargs["adapt"] = alert_entry
        result.parse = ParseJob(parse_feed, response.body, dict(response.headers), kwargs)
        return result

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        return client.get(self.feed_url)


def conditional_get(
    client: HttpClient, url: str, state: TaskState, rate_per_minute: float | None = None
) -> tuple[Response, Validators]:
    """GET `url` with the stored validators; the response and the validators to keep next time."""
    response = client.get(
        url, etag=state.etag, last_modified=state.last_modified, rate_per_minute=rate_per_minute
    )
    # RFC 9111 4.3.4: a 304 may carry fresh validators; a 200 replaces them.
    validators = state.validators if response.status == 304 else Validators()
    if "etag" in response.headers:
        validators["etag"] = response.headers["etag"]
    if "last-modified" in response.headers:
        validators["last_modified"] = response.headers["last-modified"]
    if response.headers.get("expires", "").strip() in ("0", "-1"):
        validators = Validators()
    return response, validators
