"""Hacker News stories and comments, through Algolia's `search_by_date` (newest first, no key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    JSON_ACCEPT,
    SiteSource,
    items,
    json_object,
    newest_time,
    nothing_to_ask,
    reworded,
    since_time,
)
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import search_texts
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

SITE = "https://news.ycombinator.com"
HITS_PER_PAGE = 100
MAX_PAGES = 5  # per search: 500 new hits since the last run is plenty
MAX_SEARCHES = 8  # Algolia has no OR: `a OR b` is two searches


class HackerNewsSource(SiteSource):
    type = "hackernews"
    summary = "Hacker News stories and comments (Algolia search_by_date)"
    needs = "nothing"
    endpoint = "https://hn.algolia.com"
    rate_per_minute = 60  # Algolia allows 10,000 an hour; one a second is polite

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        texts = search_texts(query.node, "hackernews")
        if not texts:
            return TaskResult(warnings=[nothing_to_ask(query.name, "Hacker News")], requests=0)
        result = TaskResult(requests=0)
        if len(texts) > MAX_SEARCHES:
            result.warnings.append(
                f"query {query.name!r} needs {len(texts)} searches here (no OR on Hacker News); "
                f"only the first {MAX_SEARCHES} were asked"
            )
        since = since_time(state.cursor(), self.settings)
        found: dict[str, Entry] = {}
        for text in texts[:MAX_SEARCHES]:
            params: dict[str, Any] = {"query": text, "tags": "(story,comment)", "hitsPerPage": HITS_PER_PAGE}
            if since is not None:
                params["numericFilters"] = f"created_at_i>{int(since.timestamp())}"
            for page in range(MAX_PAGES):
                if page:
                    params["page"] = page
                data = self._search(client, params)
                result.requests += 1
                for hit in items(data, "hits"):
                    entry = hit_entry(hit, self.name) if isinstance(hit, dict) else None
                    if entry is not None and entry.native_id:
                        found[entry.native_id] = entry
                pages = data.get("nbPages")
                full = len(items(data, "hits")) >= HITS_PER_PAGE
                # Without a time bound (first run, no max age) the newest page is enough.
                if since is None or not full or not isinstance(pages, int) or page + 1 >= pages:
                    break
            else:
                result.warnings.append(
                    f"more than {MAX_PAGES * HITS_PER_PAGE} new results for {text!r}: "
                    "only the newest were read"
                )
        result.entries = list(found.values())
        cursor = newest_time(state.cursor(), (e.published for e in result.entries))
        result.cursors = {"": cursor} if cursor else None
        return result

    def _search(self, client: HttpClient, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._get(client, params)
        except FetchError as exc:
            raise self._explain(exc) from None
        return json_object(response.body, response.url, "Hacker News search")

    def _get(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        return client.get(
            self.url("/api/v1/search_by_date"),
            params=params,
            headers={"Accept": JSON_ACCEPT},
            rate_per_minute=self.host_rate,
        )

    def _explain(self, error: FetchError) -> FetchError:
        if error.status in (401, 403):
            return reworded(
                error,
                f"Hacker News search (Algolia) refused the request (HTTP {error.status}): it needs no "
                "key, so this network is probably blocked: try again later or from another network",
            )
        return error

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        return self._get(client, {"query": "", "tags": "story", "hitsPerPage": 1})


def hit_entry(hit: Mapping[str, Any], source: str) -> Entry | None:
    """One Algolia hit (a story or a comment) as an Entry; None when it has no usable id."""
    object_id = one_line(hit.get("objectID"))
    if not object_id.isdigit():
        return None
    tags = items(hit, "_tags")
    if "comment" in tags or (hit.get("comment_text") and not hit.get("title")):
        story = one_line(hit.get("story_title"))
        title = f"Re: {story}" if story else "Comment on Hacker News"
        text = html_to_text(hit.get("comment_text") or "")
    else:
        title = one_line(hit.get("title"))
        text = html_to_text(hit.get("story_text") or "")
    author = one_line(hit.get("author")) or None
    return Entry(
        source=source,
        source_type="hackernews",
        url=f"{SITE}/item?id={object_id}",
        title=title,
        text=text,
        author=author,
        author_url=f"{SITE}/user?id={quote(author, safe='')}" if author else None,
        published=parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at")),
        native_id=f"hn:{object_id}",
        key_scope="global",
    )
