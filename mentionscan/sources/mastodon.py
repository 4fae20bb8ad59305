"""Mastodon: hashtag timelines for `tag:` queries, status search for words when a token is set.

Logged out, Mastodon searches accounts and hashtags only ("full text search is not available to
unauthenticated users"), so a word query without `token_env` is reported, not asked. Statuses
are kept by their ActivityPub `uri`: the same post has a different `id` on every instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import SiteSource, items, refused, table, text_of, title_of
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import Dialect, search_texts, tag_cover
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_LIMIT = 40  # the API's own maximum per request
# Search (4.2+): "phrases" and -exclusions; words side by side are all required, and there is no OR.
DIALECT = Dialect("mastodon", or_word=None, groups=False)


class MastodonSource(SiteSource):
    type = "mastodon"
    summary = "hashtag timelines for tag: queries; status search for words (with a token)"
    needs = "nothing for tag: queries; an access token (token_env) for word search"
    options = {
        "instance": opt(str, required=True, help="the instance's URL, like https://mastodon.social"),
        "token_env": opt(str, help="environment variable holding an access token (read:statuses)"),
        "limit": opt(int, default=MAX_LIMIT, help=f"statuses per request, 1 to {MAX_LIMIT}"),
    }
    # 300 requests per 5 minutes per IP are allowed; stay well below.
    rate_per_minute = 30

    token: str | None = None

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        limit = spec.get("limit")
        if not 1 <= limit <= MAX_LIMIT:
            raise ConfigError(f"{where}: 'limit' must be 1 to {MAX_LIMIT}, not {limit}")

    def prepare(self) -> None:
        self.token = self.env("token_env", "a Mastodon access token for status search")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _advice(self) -> str:
        if self.token:
            return (
                f"the access token in ${self.spec.get('token_env')} was refused: check it has read:statuses"
            )
        return (
            "this instance shows hashtag timelines to logged-in users only: set token_env "
            "to the name of an environment variable holding an access token"
        )

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        tags = tag_cover(query.node)
        if tags is not None:
            return self._tags(tags, client, state)
        if not self.token:
            return TaskResult(
                requests=0,
                warnings=[
                    f"query {query.name!r} not asked: Mastodon text search needs an access token: "
                    "set token_env to the name of an environment variable holding one "
                    "(tag: queries work without)"
                ],
            )
        return self._search(query, client, state)

    def _tags(self, tags: list[str], client: HttpClient, state: TaskState) -> TaskResult:
        cursors: dict[str, str] = {}
        entries: list[Entry] = []
        for tag in tags:
            params: dict[str, Any] = {"limit": self.spec.get("limit")}
            if state.cursor(f"#{tag}"):
                params["min_id"] = state.cursor(f"#{tag}")
            statuses = self._get(client, f"/api/v1/timelines/tag/{quote(tag, safe='')}", params)
            entries += [e for e in (self.entry(s) for s in statuses) if e is not None]
            cursors[f"#{tag}"] = newest_id([state.cursor(f"#{tag}"), *(s.get("id") for s in statuses)]) or ""
        return TaskResult(
            entries=entries, cursors={t: c for t, c in cursors.items() if c}, requests=len(tags)
        )

    def _search(self, query: QueryPlan, client: HttpClient, state: TaskState) -> TaskResult:
        texts = search_texts(query.node, DIALECT)
        if not texts:
            return TaskResult(requests=0, warnings=[_not_searchable(query.name)])
        seen = state.cursors
        cursors: dict[str, str] = {}
        entries: list[Entry] = []
        for text in texts:
            params: dict[str, Any] = {"q": text, "type": "statuses", "resolve": "false"}
            params["limit"] = self.spec.get("limit")
            if seen.get(text):
                params["min_id"] = seen[text]
            statuses = self._get(client, "/api/v2/search", params, key="statuses")
            entries += [e for e in (self.entry(s) for s in statuses) if e is not None]
            cursors[text] = newest_id([seen.get(text), *(s.get("id") for s in statuses)]) or ""
        return TaskResult(
            entries=entries, cursors={t: c for t, c in cursors.items() if c}, requests=len(texts)
        )

    def _get(
        self, client: HttpClient, path: str, params: Mapping[str, Any], key: str | None = None
    ) -> list[dict[str, Any]]:
        response = self._request(client, path, params)
        data = response.json()
        if key is not None:
            data = data.get(key) if isinstance(data, dict) else None
        if not isinstance(data, list):
            raise FetchError(f"{response.url}: not a Mastodon API answer (expected a list of statuses)")
        return [s for s in data if isinstance(s, dict)]

    def _request(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Response:
        try:
            return client.get(
                self.url(path),
                params=params,
                headers=self._headers(),
                rate_per_minute=self.host_rate,
            )
        except FetchError as exc:
            raise refused(exc, self._advice()) from None

    def entry(self, status: Mapping[str, Any]) -> Entry | None:
        """A status as an Entry (a boost as the boosted status); None without a usable link."""
        if isinstance(status.get("reblog"), Mapping):
            status = status["reblog"]
        uri = text_of(status, "uri")
        url = safe_link(text_of(status, "url")) or safe_link(uri)
        if not url:
            return None
        spoiler = one_line(html_to_text(status.get("spoiler_text")))
        content = html_to_text(status.get("content"))
        text = f"{spoiler} {content}".strip()
        account = table(status, "account")
        author = text_of(account, "display_name") or text_of(account, "acct") or text_of(account, "username")
        tags = items(status, "tags")
        return Entry(
            source=self.name,
            source_type=self.type,
            url=url,
            title=spoiler or title_of(content),
            text=text,
            author=author or None,
            author_url=safe_link(text_of(account, "url")) or None,
            published=parse_time(status.get("created_at")),
            tags=tuple(n for n in (text_of(t, "name") for t in tags if isinstance(t, Mapping)) if n),
            native_id=uri or url,
            key_scope="global",
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        for query in queries:
            tags = tag_cover(query.node)
            if tags:
                return self._request(client, f"/api/v1/timelines/tag/{quote(tags[0], safe='')}", {"limit": 1})
        texts = [t for q in queries for t in search_texts(q.node, DIALECT)]
        if self.token and texts:
            return self._request(client, "/api/v2/search", {"q": texts[0], "type": "statuses", "limit": 1})
        return self._request(client, "/api/v2/instance", {})


def _not_searchable(name: str) -> str:
    return (
        f"query {name!r} not asked: nothing in it is text Mastodon can search for (author: and site: are not)"
    )


def newest_id(ids: Sequence[object]) -> str | None:
    """The newest of some status ids: numeric ids compare as numbers, others by length then text."""
    valid = [str(i) for i in ids if isinstance(i, str | int) and not isinstance(i, bool) and str(i)]
    if not valid:
        return None
    return max(valid, key=lambda i: (0, int(i), "") if i.isdigit() else (1, len(i), i))
