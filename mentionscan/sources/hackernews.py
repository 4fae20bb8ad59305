"""Hacker News stories and comments, through Algolia's `search_by_date` (newest first, no key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mentionscan.models import Entry
from mentionscan.sources.common import JSON_ACCEPT, items
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import search_texts
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

SITE = "https://news.ycombinator.com"
PATH = "/api/v1/search_by_date"
HITS_PER_PAGE = 100
MAX_PAGES = 5  # per search: 500 new hits since the last run is plenty


class HackerNewsSource(SearchApi):
    type = "hackernews"
    summary = "Hacker News stories and comments (Algolia search_by_date)"
    # Algolia allows 10,000 an hour; one a second is polite
    site = Site("Hacker News", "https://hn.algolia.com", per_minute=60)
    accept = JSON_ACCEPT
    json_from = "Hacker News search"
    size_param = "hitsPerPage"
    max_searches = 8  # Algolia has no OR: `a OR b` is two searches
    max_pages = MAX_PAGES
    refuser = "Hacker News search (Algolia) refused the request"
    advice = "it needs no key, so this network is probably blocked: try again later or from another network"

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        since = self.since(state.cursor())
        bound = {"numericFilters": f"created_at_i>{int(since.timestamp())}"} if since else {}
        return [
            Ask(PATH, {"query": text, "tags": "(story,comment)", "hitsPerPage": HITS_PER_PAGE, **bound})
            for text in search_texts(query.node, "hackernews")
        ]

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        pages = data.get("nbPages")
        # Without a time bound (first run, no max age) the newest page is enough.
        if "numericFilters" not in ask.params or count < HITS_PER_PAGE or not isinstance(pages, int):
            return None
        return ask.next(page=ask.page) if ask.page < pages else None

    def cut(self, ask: Ask) -> str | None:
        return (
            f"more than {MAX_PAGES * HITS_PER_PAGE} new results for {ask.params['query']!r}: "
            "only the newest were read"
        )

    def items(self, data: Any) -> list[Any]:
        return items(data, "hits")

    def entry(self, hit: Mapping[str, Any]) -> Entry | None:
        """One Algolia hit (a story or a comment); None when it has no usable id."""
        object_id = one_line(hit.get("objectID"))
        if not object_id.isdigit():
            return None
        if "comment" in items(hit, "_tags") or (hit.get("comment_text") and not hit.get("title")):
            story = one_line(hit.get("story_title"))
            title = f"Re: {story}" if story else "Comment on Hacker News"
            text = html_to_text(hit.get("comment_text") or "")
            link = ""
        else:
            title = one_line(hit.get("title"))
            text = html_to_text(hit.get("story_text") or "")
            link = safe_link(one_line(hit.get("url")))
            if link:  # the page the story points at counts as its text, as on Lobsters
                text = f"{text} {link}".strip()
        author = one_line(hit.get("author")) or None
        return self.make_entry(
            url=f"{SITE}/item?id={object_id}",
            title=title,
            text=text,
            author=author,
            author_url=f"{SITE}/user?id={quote(author, safe='')}" if author else None,
            published=parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at")),
            native_id=f"hn:{object_id}",
            link=link,
        )
