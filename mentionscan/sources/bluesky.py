"""Bluesky: `app.bsky.feed.searchPosts`, which answers logged-in clients only (since 2025).

A run logs in once (`com.atproto.server.createSession`, with an app password from the
environment) and asks every query with that session; only posts since the last run are asked
for (`since`). Tokens are kept in memory only, never in the database.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import SiteSource, refused, table, text_of, title_of
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import Dialect, search_texts
from mentionscan.text import clean, one_line
from mentionscan.timeutil import parse_time, to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_LIMIT = 100
WEB = "https://bsky.app"  # where people read posts, whichever server answered the search
TAG_FACET = "app.bsky.richtext.facet#tag"
MAX_PAGES = 5
# searchPosts takes "phrases"; OR and exclusions are not documented, so each alternative is
# asked on its own and exclusions are left to our matcher.
DIALECT = Dialect("bluesky", or_word=None, exclude=None, groups=False)


class BlueskySource(SiteSource):
    type = "bluesky"
    summary = "app.bsky.feed.searchPosts, logged in with an app password"
    needs = "a handle and an app password (app_password_env)"
    options = {
        "handle": opt(str, required=True, help="the account to log in as, like you.bsky.social"),
        "app_password_env": opt(
            str, required=True, help="environment variable holding an app password for that account"
        ),
        "limit": opt(int, default=MAX_LIMIT, help=f"posts per request, 1 to {MAX_LIMIT}"),
    }
    endpoint = "https://bsky.social"
    # Logins are limited to 30 in 5 minutes; searches to 3000 in 5 minutes per address.
    rate_per_minute = 60

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password = ""
        self._session_lock = threading.Lock()
        self._token: str | None = None
        self._login_error: FetchError | None = None

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not 1 <= spec.get("limit") <= MAX_LIMIT:
            raise ConfigError(f"{where}: 'limit' must be 1 to {MAX_LIMIT}, not {spec.get('limit')}")

    def prepare(self) -> None:
        self.password = self.env("app_password_env", "a Bluesky app password") or ""

    @property
    def handle(self) -> str:
        return str(self.spec.get("handle")).lstrip("@")

    def _advice(self) -> str:
        return f"check that ${self.spec.get('app_password_env')} holds an app password for {self.handle}"

    def login(self, client: HttpClient) -> str:
        """The session's access token, logging in on first use (once per run, whatever the threads)."""
        with self._session_lock:
            if self._token:
                return self._token
            if self._login_error is not None:
                raise self._login_error
            try:
                response = client.request(
                    "POST",
                    self.url("/xrpc/com.atproto.server.createSession"),
                    json={"identifier": self.handle, "password": self.password},
                    rate_per_minute=self.host_rate,
                )
                token = response.json().get("accessJwt") if isinstance(response.json(), dict) else None
                if not isinstance(token, str) or not token:
                    raise FetchError(f"{response.url}: the login answer has no accessJwt")
            except FetchError as exc:
                self._login_error = refused(exc, f"Bluesky refused the login: {self._advice()}")
                raise self._login_error from None
            self._token = token
            return token

    def search(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        token = self.login(client)
        try:
            return client.get(
                self.url("/xrpc/app.bsky.feed.searchPosts"),
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                rate_per_minute=self.host_rate,
            )
        except FetchError as exc:
            raise refused(exc, f"Bluesky search needs an app password: {self._advice()}") from None

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        texts = search_texts(query.node, DIALECT)
        if not texts:
            return TaskResult(
                requests=0,
                warnings=[f"query {query.name!r} not asked: it has no words Bluesky can search for"],
            )
        seen = state.cursors
        cursors: dict[str, str] = {}
        entries: list[Entry] = []
        requests = 0
        for text in texts:
            since = seen.get(text) if isinstance(seen.get(text), str) else None
            posts, asked = self._posts(client, text, since)
            requests += asked
            entries += [e for e in map(self.entry, posts) if e is not None]
            newest = _newest([parse_time(since), *(_sort_at(p) for p in posts)])
            if newest is not None:
                cursors[text] = to_iso(newest) or ""
        return TaskResult(entries=entries, cursors=cursors, requests=requests)

    def _posts(self, client: HttpClient, text: str, since: str | None) -> tuple[list[Mapping[str, Any]], int]:
        """The posts matching `text` since `since` (following the site's cursor a few pages)."""
        limit = self.spec.get("limit")
        params: dict[str, Any] = {"q": text, "sort": "latest", "limit": limit}
        if since:
            params["since"] = since
        posts: list[Mapping[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            response = self.search(client, params)
            data = response.json()
            if not isinstance(data, Mapping) or not isinstance(data.get("posts"), list):
                raise FetchError(f"{response.url}: not a searchPosts answer (no posts)")
            batch = [p for p in data["posts"] if isinstance(p, Mapping)]
            posts += batch
            cursor = data.get("cursor")
            # The first run takes one page; later runs read on until they reach `since`.
            if not since or len(batch) < limit or not isinstance(cursor, str) or not cursor:
                return posts, page
            params = {**params, "cursor": cursor}
        return posts, MAX_PAGES

    def entry(self, post: Mapping[str, Any]) -> Entry | None:
        uri = text_of(post, "uri")
        author = table(post, "author")
        record = table(post, "record")
        actor = text_of(author, "handle") or text_of(author, "did")
        rkey = uri.rsplit("/", 1)[-1] if uri.startswith("at://") else ""
        if not (actor and rkey):
            return None
        profile = f"{WEB}/profile/{quote(actor, safe=':')}"
        text = clean(record.get("text")).strip() if isinstance(record.get("text"), str) else ""
        card = table(table(record, "embed"), "external") or table(table(post, "embed"), "external")
        extra = " ".join(p for p in (text_of(card, "title"), text_of(card, "description")) if p)
        return Entry(
            source=self.name,
            source_type=self.type,
            url=f"{profile}/post/{quote(rkey, safe='')}",
            title=title_of(text),
            text=f"{text}\n{extra}".strip(),
            author=text_of(author, "displayName") or text_of(author, "handle") or None,
            author_url=profile,
            published=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
            tags=_tags(record),
            native_id=uri,
            key_scope="global",
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        texts = [t for q in queries for t in search_texts(q.node, DIALECT)]
        if not texts:
            raise ConfigError(f"{self.spec.where}: no query has words Bluesky can search for")
        return self.search(client, {"q": texts[0], "sort": "latest", "limit": 1})


def _tags(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Hashtags: from the text's facets, and the post's own extra `tags`."""
    names: list[str] = []
    for facet in record.get("facets") or []:
        features = facet.get("features") if isinstance(facet, Mapping) else None
        for feature in features or []:
            if isinstance(feature, Mapping) and feature.get("$type") == TAG_FACET:
                names.append(text_of(feature, "tag"))
    names += [one_line(t) for t in record.get("tags") or [] if isinstance(t, str)]
    return tuple(dict.fromkeys(n for n in names if n))


def _sort_at(post: Mapping[str, Any]) -> datetime | None:
    """The time `since` compares with: the earlier of the post's creation and indexing."""
    record = table(post, "record")
    times = [t for t in (parse_time(record.get("createdAt")), parse_time(post.get("indexedAt"))) if t]
    return min(times) if times else None


def _newest(times: Sequence[datetime | None]) -> datetime | None:
    valid = [t for t in times if t is not None]
    return min(max(valid), utcnow()) if valid else None
