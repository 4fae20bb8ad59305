"""Bing News articles through `news/search?format=rss` (no key).

Each item links through Bing's click tracker (`bing.com/news/apiclick.aspx?...&url=...`), whose
other parameters change with every answer: the publisher's address is read out of it and used
as the link and the id. The publisher's name is the author. Only what is new is asked with
Bing's time filter (`qft=interval="7"`: a day, `"8"`: a week, `"9"`: a month).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from mentionscan.config.model import opt
from mentionscan.errors import FetchError
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import (
    FEED_ACCEPT,
    SiteSource,
    nothing_to_ask,
    reworded,
    since_time,
    window,
)
from mentionscan.sources.feedparse import parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import to_search_text
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import canonical_url, host_of, safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

INTERVALS = (
    (timedelta(days=1), '"7"'),
    (timedelta(days=7), '"8"'),
    (timedelta(days=31), '"9"'),
)


class BingNewsSource(SiteSource):
    type = "bing_news"
    summary = "Bing News articles (news/search RSS); the publisher is the author"
    needs = "nothing"
    options = {"market": opt(str, help="Bing market, e.g. en-US, de-DE (default: Bing's guess)")}
    endpoint = "https://www.bing.com"
    rate_per_minute = 20

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        text = to_search_text(query.node, "bing_news")
        if not text:
            return TaskResult(warnings=[nothing_to_ask(query.name, "Bing News")], requests=0)
        params: dict[str, Any] = {"q": text, "format": "rss"}
        if self.spec.get("market"):
            params["mkt"] = self.spec.get("market")
        interval = window(since_time(state.cursor(), self.settings), INTERVALS, "")
        if interval:
            params["qft"] = f"interval={interval}"
        try:
            response = self._get(client, params)
        except FetchError as exc:
            raise _explain(exc) from None
        return TaskResult(
            parse=ParseJob(
                parse_bing_news,
                response.body,
                dict(response.headers),
                {"url": response.url, "source": self.name},
            ),
            cursors={"": to_iso(utcnow()) or ""},
        )

    def _get(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        return client.get(
            self.url("/news/search"),
            params=params,
            headers={"Accept": FEED_ACCEPT},
            rate_per_minute=self.host_rate,
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        try:
            return self._get(client, {"q": "mentionscan", "format": "rss"})
        except FetchError as exc:
            raise _explain(exc) from None


def _explain(error: FetchError) -> FetchError:
    if error.status in (401, 403):
        return reworded(
            error,
            f"Bing refused the search (HTTP {error.status}): it needs no key, so this network is "
            "probably blocked: try again later or from another network",
        )
    return error


def parse_bing_news(body: bytes, headers: Mapping[str, str], *, url: str, source: str) -> ParsedFeed:
    """The articles of a Bing News feed (run by the pipeline, maybe in another process)."""
    return parse_feed(
        body,
        headers,
        url=url,
        source=source,
        source_type="bing_news",
        key_scope="global",
        adapt=adapt_bing_news,
    )


def publisher_link(link: str) -> str:
    """The publisher's URL inside a Bing click-tracking link ("" if unreadable); any other link as it is."""
    parts = urlsplit(link)
    if not (host_of(link).endswith("bing.com") and "apiclick" in parts.path.lower()):
        return safe_link(link)
    target = parse_qs(parts.query).get("url") or [""]
    return safe_link(target[0])


def adapt_bing_news(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
    """The publisher's link for Bing's tracker (an item without one is dropped), the publisher as author."""
    url = publisher_link(entry.url)
    if not url:
        return None  # a tracker link changes with every answer: it cannot identify the article
    return replace(
        entry,
        url=url,
        author=one_line(raw.get("news_source")) or entry.author,
        native_id="bing:" + hashlib.sha1(canonical_url(url).encode()).hexdigest(),
    )
