"""Lemmy: an instance's `/api/v3/search`, newest posts and comments from every federated community.

Posts and comments are kept by their ActivityPub id (`ap_id`, on the instance they come from),
so the same post seen through two instances is one mention. The community is the entry's tag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import SiteSource, refused, table, text_of
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import search_texts
from mentionscan.text import one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_LIMIT = 50
ADVICE = "this Lemmy instance refuses logged-out search: set instance to another one"


class LemmySource(SiteSource):
    type = "lemmy"
    summary = "an instance's /api/v3/search: newest posts and comments"
    options = {
        "instance": opt(str, required=True, help="the instance's URL, like https://lemmy.world"),
        "limit": opt(int, default=MAX_LIMIT, help=f"results per request, 1 to {MAX_LIMIT}"),
    }
    # lemmy.world allows about 100 searches in 10 minutes per address.
    rate_per_minute = 10

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not 1 <= spec.get("limit") <= MAX_LIMIT:
            raise ConfigError(f"{where}: 'limit' must be 1 to {MAX_LIMIT}, not {spec.get('limit')}")

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        texts = search_texts(query.node, "plain")
        if not texts:
            return TaskResult(
                requests=0,
                warnings=[f"query {query.name!r} not asked: it has no words Lemmy can search for"],
            )
        entries: list[Entry] = []
        for text in texts:
            entries += self.search(client, text, self.spec.get("limit"))
        return TaskResult(entries=entries, requests=len(texts))

    def search(self, client: HttpClient, text: str, limit: int) -> list[Entry]:
        """Newest posts and comments holding `text` (Lemmy finds its words in the order written)."""
        response = self._request(client, _params(text, limit))
        data = response.json()
        if not isinstance(data, Mapping) or not isinstance(data.get("posts", []), list):
            raise FetchError(f"{response.url}: not a Lemmy search answer")
        views = [v for v in data.get("posts") or [] if isinstance(v, Mapping)]
        views += [v for v in data.get("comments") or [] if isinstance(v, Mapping)]
        return [e for e in map(self.entry, views) if e is not None]

    def _request(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        try:
            return client.get(self.url("/api/v3/search"), params=params, rate_per_minute=self.host_rate)
        except FetchError as exc:
            raise refused(exc, ADVICE) from None

    def entry(self, view: Mapping[str, Any]) -> Entry | None:
        """A PostView or CommentView as an Entry; None without an ActivityPub id."""
        post = table(view, "post")
        comment = table(view, "comment") if "comment" in view else None
        item = comment if comment is not None else post
        ap_id = safe_link(text_of(item, "ap_id"))
        if not ap_id:
            return None
        if comment is not None:
            title = f"Comment on {text_of(post, 'name')}".strip()
            text = one_line(comment.get("content"))
        else:
            title = text_of(post, "name")
            # the page a link post points at counts as part of what it says
            text = " ".join(p for p in (one_line(post.get("body")), safe_link(text_of(post, "url"))) if p)
        creator = table(view, "creator")
        community = text_of(table(view, "community"), "name")
        return Entry(
            source=self.name,
            source_type=self.type,
            url=ap_id,
            title=title,
            text=text,
            author=text_of(creator, "display_name") or text_of(creator, "name") or None,
            # Lemmy 0.19 (API v3) calls it actor_id, Lemmy 1.0 ap_id
            author_url=safe_link(text_of(creator, "actor_id") or text_of(creator, "ap_id")) or None,
            published=parse_time(item.get("published") or item.get("published_at")),
            tags=(community,) if community else (),
            native_id=ap_id,
            key_scope="global",
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        texts = [t for q in queries for t in search_texts(q.node, "plain")]
        return self._request(client, _params(texts[0] if texts else "lemmy", 1))


def _params(text: str, limit: int) -> dict[str, Any]:
    return {"q": text, "type_": "All", "sort": "New", "listing_type": "All", "limit": limit}
