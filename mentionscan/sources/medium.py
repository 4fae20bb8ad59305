"""Medium: the feed of a tag (`/feed/tag/{tag}`, about 10 newest stories) for `tag:` queries.

Medium has no search feed, so a query that is not about tags asks nothing here. Links lose the
`?source=rss...` tail Medium adds to each, the author is the feed's `dc:creator`, and a story's
id is its `medium.com/p/{id}` GUID, whichever domain (a publication's, a writer's) it is on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from mentionscan.models import Entry
from mentionscan.sources.interface import QueryPlan
from mentionscan.sources.queryfeeds import QueryFeeds
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import tag_cover

_TAG_SLUG = re.compile(r"[^a-z0-9]+")


class MediumSource(QueryFeeds):
    type = "medium"
    summary = "Medium's tag feeds (medium.com/feed/tag/...) for tag: queries"
    site = Site("Medium", "https://medium.com", per_minute=10)
    unaskable = "query {query!r} not asked: {site} has feeds by tag only (write tag:name)"
    advice = block_advice = (
        "Medium's bot check sometimes stops feed readers: try again later or from another network"
    )
    no_such_feed = "Medium has no tag feed at {path}: query {query!r} asks nothing there"

    def feeds(self, query: QueryPlan) -> list[tuple[str, dict[str, Any]]]:
        # Medium's tag slugs are lower case with hyphens: "Machine Learning" is machine-learning
        slugs = dict.fromkeys(
            _TAG_SLUG.sub("-", tag.lower()).strip("-") for tag in tag_cover(query.node) or ()
        )
        return [(f"/feed/tag/{quote(slug)}", {}) for slug in slugs if slug]

    @staticmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        url = entry.url.split("?source=", 1)[0] if "?source=" in entry.url else entry.url
        post = str(raw.get("id") or "")
        native = f"medium:{post.rsplit('/', 1)[-1]}" if "/p/" in post else entry.native_id
        return replace(entry, url=url, native_id=native)
