"""Reddit posts through the `search.rss` feed, newest first (Reddit's JSON needs OAuth since 2026).

Reddit allows about 10 feed requests a minute per address and blocks many cloud and VPN
networks outright (HTTP 403, or a web page instead of the feed). The feed only takes a time
window (`t=hour|day|week|...`), chosen from the last successful run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.common import (
    FEED_ACCEPT,
    SiteSource,
    nothing_to_ask,
    reworded,
    since_time,
    window,
)
from mentionscan.sources.feedparse import FeedError, parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import to_search_text
from mentionscan.timeutil import to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

WINDOWS = (
    (timedelta(hours=1), "hour"),
    (timedelta(days=1), "day"),
    (timedelta(days=7), "week"),
    (timedelta(days=31), "month"),
    (timedelta(days=365), "year"),
)
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
# The feed appends "submitted by /u/name to r/sub [link] [comments]" to every post's text.
_BOILERPLATE = re.compile(r"\s*submitted by /u/[\w-]+(?: to r/\w+)?(?: \[link\])?(?: \[comments\])?\s*$")
_BLOCKED = (
    "Reddit blocks many cloud and VPN networks and clients it takes for scrapers: "
    "run mentionscan from another network (a home or office connection), and not more than "
    "a few times an hour"
)


class RedditSource(SiteSource):
    type = "reddit"
    summary = "Reddit posts (search.rss, newest first), optionally in some subreddits only"
    needs = "a real User-Agent (user_agent in [settings]); some networks are blocked"
    options = {"subreddits": opt(list, help="search only these subreddits (names without r/)")}
    endpoint = "https://www.reddit.com"
    rate_per_minute = 10

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        for name in spec.get("subreddits") or []:
            if not isinstance(name, str) or not _SUBREDDIT.match(name.removeprefix("r/")):
                raise ConfigError(
                    f"{where}: 'subreddits' must list subreddit names like \"python\", not {name!r}"
                )

    @property
    def subreddits(self) -> list[str]:
        return [str(name).removeprefix("r/") for name in self.spec.get("subreddits") or []]

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        text = to_search_text(query.node, "reddit")
        if not text:
            return TaskResult(warnings=[nothing_to_ask(query.name, "Reddit")], requests=0)
        since = since_time(state.cursor(), self.settings)
        params: dict[str, Any] = {
            "q": text,
            "sort": "new",
            "t": window(since, WINDOWS, "all"),
            "limit": 100,
            "type": "link",
        }
        if self.subreddits:
            params["restrict_sr"] = "on"
        try:
            response = self._get(client, params)
        except FetchError as exc:
            raise _explain(exc) from None
        return TaskResult(
            parse=ParseJob(
                parse_reddit,
                response.body,
                dict(response.headers),
                {"url": response.url, "source": self.name},
            ),
            cursors={"": to_iso(utcnow()) or ""},
        )

    def _get(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        path = "/search.rss"
        if self.subreddits:
            path = "/r/" + quote("+".join(self.subreddits), safe="+") + "/search.rss"
        return client.get(
            self.url(path), params=params, headers={"Accept": FEED_ACCEPT}, rate_per_minute=self.host_rate
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        try:
            return self._get(client, {"q": "mentionscan", "sort": "new", "limit": 1})
        except FetchError as exc:
            raise _explain(exc) from None


def _explain(error: FetchError) -> FetchError:
    if error.status in (401, 403):
        return reworded(error, f"Reddit refused the search (HTTP {error.status}): {_BLOCKED}")
    if error.status == 429:
        return reworded(error, f"{error}: Reddit allows about 10 searches a minute from one address")
    return error


def parse_reddit(body: bytes, headers: Mapping[str, str], *, url: str, source: str) -> ParsedFeed:
    """The posts of a Reddit search feed (run by the pipeline, maybe in another process)."""
    try:
        return parse_feed(
            body,
            headers,
            url=url,
            source=source,
            source_type="reddit",
            key_scope="global",
            adapt=adapt_reddit,
        )
    except FeedError as exc:
        if "HTML page" in str(exc):
            raise FeedError(f"Reddit sent a web page instead of search results: {_BLOCKED}") from None
        raise


def adapt_reddit(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
    """Posts (t3_) and comments (t1_) only, with Reddit's ids, plain author names and no boilerplate."""
    thing = str(raw.get("id") or "")
    if not thing.startswith(("t3_", "t1_")):
        return None  # t5_: a subreddit the search also found
    author = (entry.author or "").removeprefix("/u/") or None
    return replace(
        entry,
        author=author,
        text=_BOILERPLATE.sub("", entry.text),
        native_id=f"reddit:{thing}",
    )
