"""dev.to (and any Forem site): articles by tag for `tag:` queries, the newest articles for words.

Word queries read `/api/articles/latest` (newest first, documented) and leave the matching to
our matcher, one listing for every query. The full-text `/api/articles/search` answers too, but
is undocumented and has changed before (`/api/search/feed_content` is gone), so it is not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    NEWEST,
    SiteSource,
    newest_first,
    refused,
    table,
    text_of,
)
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import tag_cover
from mentionscan.timeutil import parse_time, to_iso, utcnow
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

ACCEPT = {"Accept": "application/vnd.forem.api-v1+json"}
ADVICE = "dev.to refuses some clients: check [settings] user_agent names mentionscan and a contact URL"
FIRST_DAYS = 7  # how far back a tag's first fetch reaches


class DevtoSource(SiteSource):
    type = "devto"
    summary = "dev.to articles by tag for tag: queries; the newest articles for words"
    options = {
        "per_page": opt(int, default=100, help="articles per request, 1 to 1000"),
        "pages": opt(int, default=5, help="most pages of newest articles read per run"),
    }
    endpoint = "https://dev.to"
    rate_per_minute = 30

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not 1 <= spec.get("per_page") <= 1000:
            raise ConfigError(f"{where}: 'per_page' must be 1 to 1000, not {spec.get('per_page')}")
        if spec.get("pages") < 1:
            raise ConfigError(f"{where}: 'pages' must be 1 or more, not {spec.get('pages')}")

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        tasks = [Task(self.name, q.name, f"{self.name}\x1f{q.name}") for q in queries if tag_cover(q.node)]
        if any(tag_cover(q.node) is None for q in queries):
            tasks.append(Task(self.name, None, f"{self.name}\x1f{NEWEST}"))
        return tasks

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        tags = tag_cover(query.node) if query is not None else None
        if not tags:
            return self._latest(client, state)
        # A tag's listing is ordered by "hotness", not by date; `top=N` asks for every article
        # published in the last N days instead, so ask for the days since the last run.
        now = utcnow()
        last = parse_time(state.cursor())
        days = FIRST_DAYS if last is None else max(1, math.ceil((now - last).total_seconds() / 86400))
        entries: list[Entry] = []
        for tag in tags:
            params = {"tag": tag, "top": days, "per_page": self.spec.get("per_page")}
            entries += self._articles(client, "/api/articles", params)
        return TaskResult(entries=entries, cursors={"": to_iso(now) or ""}, requests=len(tags))

    def _latest(self, client: HttpClient, state: TaskState) -> TaskResult:
        cursor = parse_time(state.cursor())

        def page(number: int) -> list[Entry]:
            params = {"per_page": self.spec.get("per_page"), "page": number}
            return self._articles(client, "/api/articles/latest", params)

        entries, newest, requests = newest_first(page, cursor, self.spec.get("pages"))
        return TaskResult(entries=entries, cursors=_cursor(newest), requests=requests)

    def _articles(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> list[Entry]:
        response = self._request(client, path, params)
        data = response.json()
        if not isinstance(data, list):
            raise FetchError(f"{response.url}: not a Forem API answer (expected a list of articles)")
        return [e for e in (self.entry(a) for a in data if isinstance(a, Mapping)) if e is not None]

    def _request(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Response:
        try:
            return client.get(self.url(path), params=params, headers=ACCEPT, rate_per_minute=self.host_rate)
        except FetchError as exc:
            raise refused(exc, ADVICE) from None

    def entry(self, article: Mapping[str, Any]) -> Entry | None:
        url = safe_link(text_of(article, "url"))
        if not url:
            return None
        user = table(article, "user")
        username = text_of(user, "username")
        tags = article.get("tag_list")
        if isinstance(tags, str):  # a string in single-article answers, a list in listings
            tags = tags.split(",")
        article_id = text_of(article, "id")
        return Entry(
            source=self.name,
            source_type=self.type,
            url=url,
            title=text_of(article, "title"),
            text=text_of(article, "description"),
            author=text_of(user, "name") or username or None,
            author_url=_profile(url, username),
            published=parse_time(article.get("published_at") or article.get("published_timestamp")),
            tags=tuple(t.strip() for t in tags or () if isinstance(t, str) and t.strip()),
            native_id=f"devto:{article_id}" if article_id else None,
            key_scope="global",
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        for query in queries:
            if tags := tag_cover(query.node):
                return self._request(client, "/api/articles", {"tag": tags[0], "top": 1, "per_page": 1})
        return self._request(client, "/api/articles/latest", {"per_page": 1})


def _profile(article_url: str, username: str) -> str | None:
    """The author's page on the site the article is on (dev.to, or another Forem)."""
    if not username:
        return None
    parts = urlsplit(article_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{username}", "", ""))


def _cursor(newest: datetime | None) -> dict[str, str] | None:
    return {"": to_iso(newest) or ""} if newest else None
