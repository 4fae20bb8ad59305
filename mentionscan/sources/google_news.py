"""Google News articles through the `rss/search` feed (no key).

The publisher is the author (the feed has no byline); titles lose their " - Publisher" suffix.
Links stay Google's own `news.google.com/rss/articles/...`: since 2024 the article's address
can no longer be read from them. Only what is new is asked with `after:YYYY-MM-DD` in the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import (
    FEED_ACCEPT,
    SiteSource,
    nothing_to_ask,
    reworded,
    since_time,
)
from mentionscan.sources.feedparse import parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import to_search_text
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

_CEID = re.compile(r"^[A-Z]{2}:[A-Za-z]{2,3}(-[A-Za-z0-9]+)?$")


class GoogleNewsSource(SiteSource):
    type = "google_news"
    summary = "Google News articles (rss/search); the publisher is the author"
    needs = "nothing"
    options = {
        "hl": opt(str, default="en-US", help="interface language, e.g. en-US, de, pt-BR"),
        "gl": opt(str, default="US", help="country edition, e.g. US, DE, BR"),
        "ceid": opt(str, default="US:en", help="edition id, country:language, e.g. US:en, DE:de"),
    }
    endpoint = "https://news.google.com"
    rate_per_minute = 20

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not _CEID.match(spec.get("ceid")):
            raise ConfigError(
                f"{where}: 'ceid' must be country:language like \"US:en\", not {spec.get('ceid')!r}"
            )

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        text = to_search_text(query.node, "google_news")
        if not text:
            return TaskResult(warnings=[nothing_to_ask(query.name, "Google News")], requests=0)
        since = since_time(state.cursor(), self.settings)
        if since is not None:  # the date bounds every alternative
            text = f"{f'({text})' if ' OR ' in text else text} after:{since.date().isoformat()}"
        try:
            response = self._get(client, text)
        except FetchError as exc:
            raise _explain(exc) from None
        return TaskResult(
            parse=ParseJob(
                parse_google_news,
                response.body,
                dict(response.headers),
                {"url": response.url, "source": self.name},
            ),
            cursors={"": to_iso(utcnow()) or ""},
        )

    def _get(self, client: HttpClient, text: str) -> Response:
        params = {
            "q": text,
            "hl": self.spec.get("hl"),
            "gl": self.spec.get("gl"),
            "ceid": self.spec.get("ceid"),
        }
        return client.get(
            self.url("/rss/search"),
            params=params,
            headers={"Accept": FEED_ACCEPT},
            rate_per_minute=self.host_rate,
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        try:
            return self._get(client, "mentionscan")
        except FetchError as exc:
            raise _explain(exc) from None


def _explain(error: FetchError) -> FetchError:
    if error.status in (401, 403):
        return reworded(
            error,
            f"Google News refused the search (HTTP {error.status}): it needs no key, so this network "
            "is probably blocked or sent to a consent page: try again later or from another network",
        )
    return error


def parse_google_news(body: bytes, headers: Mapping[str, str], *, url: str, source: str) -> ParsedFeed:
    """The articles of a Google News search feed (run by the pipeline, maybe in another process)."""
    return parse_feed(
        body,
        headers,
        url=url,
        source=source,
        source_type="google_news",
        key_scope="global",
        adapt=adapt_google_news,
    )


def adapt_google_news(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
    """The publisher as the author, the title and text without it, Google's article id."""
    publisher_info = raw.get("source")
    if not isinstance(publisher_info, Mapping):
        publisher_info = {}
    publisher = one_line(publisher_info.get("title"))
    title, text = entry.title, entry.text
    if publisher:
        title = title.removesuffix(f" - {publisher}").strip() or title
        # The description is the headline as a link, then the publisher: nothing new.
        text = text.removesuffix(publisher).strip()
    if text == title:
        text = ""
    return replace(
        entry,
        title=title,
        text=text,
        author=publisher or entry.author,
        author_url=safe_link(str(publisher_info.get("href") or "")) or entry.author_url,
        native_id=f"gnews:{entry.native_id}" if entry.native_id else None,
    )
