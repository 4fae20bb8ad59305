"""WordPress: every WordPress.com blog's posts of a tag through the keyless Reader API, or one
self-hosted WordPress (`site`) through its own tag and search feeds.

Without `site`, a `tag:` query asks `read/tags/{tag}/posts` (newest first, `after=` the newest
post the last run saw) across every WordPress.com blog; words ask nothing there (the Reader
has no public search). With `site = "https://blog.example"` each tag reads the site's
`/tag/{tag}/feed/` and each query's words its search feed (`/?s=...&feed=rss2`): WordPress core
publishes both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import count_opt, url_opt
from mentionscan.models import Entry
from mentionscan.sources.common import table, text_of
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.queryfeeds import QueryFeeds
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import tag_cover, to_search_text
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time, to_iso
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_NUMBER = 40  # the Reader's most posts per page
_SLUG = re.compile(r"[^\w]+")


class WordPressSource(SearchApi):
    type = "wordpress"
    summary = "WordPress.com's tag listings (Reader API) for tag: queries; or one WordPress site's feeds"
    options = {
        "site": url_opt("one self-hosted WordPress, https://blog.example: its tag and search feeds"),
        "number": count_opt("posts per Reader request", MAX_NUMBER),
    }
    site = Site("WordPress.com", "https://public-api.wordpress.com", per_minute=30)
    refuser = ""  # a refusal keeps the URL
    size_param = "number"
    max_pages = 3
    unaskable = "query {query!r} not asked: {site}'s Reader lists posts by tag only (write tag:name)"
    not_an_answer = "not a Reader answer (no posts)"
    advice = "WordPress.com needs no key for tags, so this network is probably blocked: try again later"
    own_site: QueryFeeds | None = None

    def prepare(self) -> None:
        if self.spec.get("site"):
            self.own_site = WordPressSite(self.spec, self.settings)

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        if self.own_site is not None:
            return self.own_site.run(task, query, client, state)
        return super().run(task, query, client, state)

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        return self.own_site.probe(client, queries) if self.own_site else super().probe(client, queries)

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        asks = []
        for tag in tag_cover(query.node) or ():
            slug = _SLUG.sub("-", tag.lower()).strip("-")
            params: dict[str, Any] = {"number": self.spec.get("number"), "order": "DESC"}
            since = self.since(state.cursor(f"#{slug}"))
            if since is not None:
                params["after"] = to_iso(since)
            asks.append(Ask(f"/rest/v1.1/read/tags/{quote(slug)}/posts", params, key=f"#{slug}"))
        return asks

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        # A later run pages back to its `after`; the first reads one page.
        full = count >= int(self.spec.get("number"))
        return ask.next(page=ask.page + 1) if "after" in ask.params and full else None

    def items(self, data: Any) -> list[Any] | None:
        posts = data.get("posts") if isinstance(data, Mapping) else None
        return posts if isinstance(posts, list) else None

    def entry(self, post: Mapping[str, Any]) -> Entry | None:
        url = safe_link(text_of(post, "URL"))
        if not url:
            return None
        author = table(post, "author")
        tags = post.get("tags")
        return self.make_entry(
            url=url,
            title=one_line(html_to_text(post.get("title"))),
            text=html_to_text(post.get("excerpt")) or html_to_text(post.get("content")),
            author=text_of(author, "name") or text_of(author, "nice_name") or None,
            author_url=safe_link(text_of(author, "profile_URL") or text_of(author, "URL")) or None,
            published=parse_time(post.get("date")),
            tags=tuple(str(name) for name in tags) if isinstance(tags, Mapping) else (),
            native_id=f"wpcom:{post.get('site_ID')}:{post.get('ID')}" if post.get("ID") else None,
        )


class WordPressSite(QueryFeeds):
    """One self-hosted WordPress: `site`'s tag feeds and search feed."""

    type = "wordpress"
    summary = WordPressSource.summary
    site = Site("the WordPress site", per_minute=20)
    advice = (
        "its security plugin or host may block feed readers: check [settings] user_agent, or ask its owner"
    )
    no_such_feed = "the WordPress site has no feed {path}: query {query!r} asks nothing there"

    @property
    def root(self) -> str:
        return self.spec.base_url or str(self.spec.get("site"))

    def feeds(self, query: QueryPlan) -> list[tuple[str, dict[str, Any]]]:
        tags = tag_cover(query.node)
        if tags:
            return [(f"/tag/{quote(_SLUG.sub('-', tag.lower()).strip('-'))}/feed/", {}) for tag in tags]
        text = to_search_text(query.node, "plain")
        return [("/", {"s": text, "feed": "rss2"})] if text else []
