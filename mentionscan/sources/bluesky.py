"""Bluesky: `app.bsky.feed.searchPosts`, which answers logged-in clients only (since 2025).

A run logs in once (`com.atproto.server.createSession`, with an app password from the
environment) and asks every query with that session; only posts since the last run are asked
for (`since`). Tokens are kept in memory only, never in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import count_opt, env_opt, opt
from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import NO_WORDS, items, refused, table, text_of, title_of
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.session import Session
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import Dialect, language_of, search_texts, tag_cover
from mentionscan.text import clean, one_line
from mentionscan.timeutil import parse_time, to_iso

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_LIMIT = 100
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
WEB = "https://bsky.app"  # where people read posts, whichever server answered the search
TAG_FACET = "app.bsky.richtext.facet#tag"
# searchPosts takes "phrases"; OR and exclusions are not documented, so each alternative is
# asked on its own and exclusions are left to our matcher.
DIALECT = Dialect("bluesky", or_word=None, exclude=None, groups=False)


class BlueskySource(SearchApi):
    type = "bluesky"
    summary = "app.bsky.feed.searchPosts, logged in with an app password"
    needs = "a handle and an app password (app_password_env)"
    options = {
        "handle": opt(str, required=True, help="the account to log in as, like you.bsky.social"),
        "app_password_env": env_opt("an app password for that account", required=True),
        "limit": count_opt("posts per request", MAX_LIMIT),
    }
    # Logins are limited to 30 in 5 minutes; searches to 3000 in 5 minutes per address.
    site = Site("Bluesky", "https://bsky.social", per_minute=60)
    refuser = ""  # a refusal keeps the URL: its advice names the account
    size_param = "limit"
    max_pages = 5
    # The cursor is the very time `since` compares (a post's earlier of creation and indexing).
    lag = timedelta(0)
    merge_repeats = False
    unaskable = NO_WORDS
    not_an_answer = "not a searchPosts answer (no posts)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password = ""
        self.session = Session(self._log_in, self._login_refused)

    def prepare(self) -> None:
        self.password = self.env("app_password_env", "a Bluesky app password") or ""

    @property
    def handle(self) -> str:
        return str(self.spec.get("handle")).lstrip("@")

    def _advice(self) -> str:
        return f"check that ${self.spec.get('app_password_env')} holds an app password for {self.handle}"

    def refusal_advice(self, error: FetchError) -> str:
        return f"Bluesky search needs an app password: {self._advice()}"

    def _log_in(self, client: HttpClient) -> str:
        """A new session's token, the bearer of every search."""
        response = client.request(
            "POST",
            self.url("/xrpc/com.atproto.server.createSession"),
            json={"identifier": self.handle, "password": self.password},
            rate_per_minute=self.host_rate,
        )
        answer = response.json()
        token = answer.get("accessJwt") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchError(f"{response.url}: the login answer has no accessJwt")
        return token

    def _login_refused(self, error: FetchError) -> FetchError:
        return refused(error, f"Bluesky refused the login: {self._advice()}")

    def request(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Response:
        self.bearer = self.session.token(client)
        return super().request(client, path, params)

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        """One search per alternative; a query every match of which carries a tag asks by `tag`."""
        asks = []
        tags = tag_cover(query.node)
        # `q` is required: a tag's name, which its hashtag holds, with `tag` keeping hashtags only
        searches: list[tuple[str, dict[str, Any]]] = [(f"#{t}", {"q": t, "tag": t}) for t in tags or ()]
        for key, params in searches or [(text, {"q": text}) for text in search_texts(query.node, DIALECT)]:
            params.update(sort="latest", limit=self.spec.get("limit"))
            if language := language_of(query.node):  # posts declare theirs (`langs`): the site can filter
                params["lang"] = language
            since = self.since(state.cursor(key))
            if since is not None:
                params["since"] = to_iso(since)
            asks.append(Ask(SEARCH, params, key=key))
        return asks

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        cursor = data.get("cursor")
        # The first run takes one page; later runs read on until they reach `since`.
        if (
            "since" not in ask.params
            or count < self.spec.get("limit")
            or not isinstance(cursor, str)
            or not cursor
        ):
            return None
        return ask.next(cursor=cursor)

    def items(self, data: Any) -> list[Any] | None:
        return data["posts"] if isinstance(data, Mapping) and isinstance(data.get("posts"), list) else None

    def mark(self, item: Mapping[str, Any], entry: Entry | None) -> datetime | None:
        """The time `since` compares with: the earlier of the post's creation and indexing."""
        record = table(item, "record")
        times = [t for t in (parse_time(record.get("createdAt")), parse_time(item.get("indexedAt"))) if t]
        return min(times) if times else None

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
        return self.make_entry(
            url=f"{profile}/post/{quote(rkey, safe='')}",
            title=title_of(text),
            text=f"{text}\n{extra}".strip(),
            author=text_of(author, "displayName") or text_of(author, "handle") or None,
            author_url=profile,
            published=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
            tags=_tags(record),
            native_id=uri,
            language=next((one_line(lang) for lang in items(record, "langs") if isinstance(lang, str)), ""),
        )


def _tags(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Hashtags: from the text's facets, and the post's own extra `tags`."""
    names: list[str] = []
    for facet in items(record, "facets"):
        for feature in items(facet, "features"):
            if isinstance(feature, Mapping) and feature.get("$type") == TAG_FACET:
                names.append(text_of(feature, "tag"))
    names += [one_line(t) for t in items(record, "tags") if isinstance(t, str)]
    return tuple(dict.fromkeys(n for n in names if n))
