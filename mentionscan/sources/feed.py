"""Any RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 URL: every query is matched here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mentionscan.config.model import opt
from mentionscan.errors import FetchError, MentionscanError
from mentionscan.sources.feedparse import parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState, Validators
from mentionscan.sources.sitesource import SiteSource

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


class FeedSource(SiteSource):
    type = "feed"
    summary = "any RSS, Atom or JSON Feed URL; every query is matched against each entry"
    options = {"url": opt(str, required=True, help="the feed's URL")}
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
        result.parse = ParseJob(
            parse_feed,
            response.body,
            dict(response.headers),
            {"url": response.url, "source": self.name, "source_type": self.type},
        )
        return result

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The feed's answer, judged as `fetch` judges it: a web page or an empty body is not a feed."""
        response = client.get(self.feed_url)
        judged(
            response, lambda: parse_feed(response.body, response.headers, url=response.url, source=self.name)
        )
        return response


def judged(response: Response, parse: Callable[[], object]) -> None:
    """Raise what `parse()` raises about `response`'s body, as a FetchError carrying its status."""
    try:
        parse()
    except MentionscanError as exc:
        raise FetchError(str(exc), status=response.status) from None


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
