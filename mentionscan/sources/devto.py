"""dev.to (and any Forem site): articles by tag for `tag:` queries, the newest articles for words.

Word queries read `/api/articles/latest` (newest first, documented) and leave the matching to
our matcher, one listing for every query. The full-text `/api/articles/search` answers too, but
is undocumented and has changed before (`/api/search/feed_content` is gone), so it is not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mentionscan.config.model import count_opt, opt
from mentionscan.models import Entry
from mentionscan.sources.common import names, page_on, table, text_of
from mentionscan.sources.listing import Listing
from mentionscan.sources.sitesource import Site
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link


class DevtoSource(Listing):
    type = "devto"
    summary = "dev.to articles by tag for tag: queries; the newest articles for words"
    options = {
        "per_page": count_opt("articles per request", 1000, default=100),
        "pages": opt(int, default=5, least=1, help="most pages of newest articles read per run"),
    }
    site = Site("dev.to", "https://dev.to", per_minute=30)
    accept = "application/vnd.forem.api-v1+json"
    size_param = "per_page"
    first_reach = timedelta(days=7)
    not_an_answer = "not a Forem API answer (expected a list of articles)"
    advice = "dev.to refuses some clients: check [settings] user_agent names mentionscan and a contact URL"

    def newest(self, page: int) -> tuple[str, dict[str, Any]]:
        return "/api/articles/latest", {"per_page": self.spec.get("per_page"), "page": page}

    def tag_listing(self, tag: str, reach: timedelta | None) -> tuple[str, dict[str, Any]]:
        # A tag's listing is ordered by "hotness", not by date; `top=N` asks for every article
        # published in the last N days instead.
        days = max(1, math.ceil((reach or timedelta()).total_seconds() / 86400))
        return "/api/articles", {"tag": tag, "top": days, "per_page": self.spec.get("per_page")}

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
        return self.make_entry(
            url=url,
            title=text_of(article, "title"),
            text=text_of(article, "description"),
            author=text_of(user, "name") or username or None,
            author_url=page_on(url, f"/{username}") if username else None,
            published=parse_time(article.get("published_at") or article.get("published_timestamp")),
            tags=names(tags if isinstance(tags, list) else []),
            native_id=f"devto:{article_id}" if article_id else None,
        )
