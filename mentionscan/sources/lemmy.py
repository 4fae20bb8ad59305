"""Lemmy: an instance's `/api/v3/search`, newest posts and comments from every federated community.

Posts and comments are kept by their ActivityPub id (`ap_id`, on the instance they come from),
so the same post seen through two instances is one mention. The community is the entry's tag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mentionscan.config.model import count_opt, url_opt
from mentionscan.models import Entry
from mentionscan.sources.common import NO_WORDS, table, text_of
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import search_texts
from mentionscan.text import one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

MAX_LIMIT = 50


class LemmySource(SearchApi):
    type = "lemmy"
    summary = "an instance's /api/v3/search: newest posts and comments"
    options = {
        "instance": url_opt("the instance's URL, like https://lemmy.world", required=True),
        "limit": count_opt("results per request", MAX_LIMIT),
    }
    # lemmy.world allows about 100 searches in 10 minutes per address.
    site = Site("Lemmy", per_minute=10)
    refuser = ""  # a refusal keeps the URL: it names the instance
    size_param = "limit"
    cursor_kind = ""  # its search takes no time bound: each run reads the newest page
    merge_repeats = False
    unaskable = NO_WORDS
    not_an_answer = "not a Lemmy search answer"
    advice = "this Lemmy instance refuses logged-out search: set instance to another one"

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        # Lemmy finds a search's words in the order written: one search per alternative.
        return [
            Ask(
                "/api/v3/search",
                {
                    "q": text,
                    "type_": "All",
                    "sort": "New",
                    "listing_type": "All",
                    "limit": self.spec.get("limit"),
                },
            )
            for text in search_texts(query.node, "plain")
        ]

    def items(self, data: Any) -> list[Any] | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("posts", []), list):
            return None
        return [*(data.get("posts") or []), *(data.get("comments") or [])]

    def entry(self, view: Mapping[str, Any]) -> Entry | None:
        """A PostView or CommentView; None without an ActivityPub id."""
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
        return self.make_entry(
            url=ap_id,
            title=title,
            text=text,
            author=text_of(creator, "display_name") or text_of(creator, "name") or None,
            # Lemmy 0.19 (API v3) calls it actor_id, Lemmy 1.0 ap_id
            author_url=safe_link(text_of(creator, "actor_id") or text_of(creator, "ap_id")) or None,
            published=parse_time(item.get("published") or item.get("published_at")),
            tags=(community,) if community else (),
            native_id=ap_id,
        )
