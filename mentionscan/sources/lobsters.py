"""Lobsters: tag listings for `tag:` queries, the newest stories for words (matched here).

Lobsters' search is an HTML page that refuses logged-out clients, so words are looked for in
`/newest.json` (one listing for every query) and tags in `/t/{tag}.json`, the JSON twins of
the RSS feeds. A story is kept at its discussion page; the link it points at is in its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from mentionscan.config.model import opt
from mentionscan.models import Entry
from mentionscan.sources.common import items, names, page_on, text_of
from mentionscan.sources.listing import Listing
from mentionscan.sources.sitesource import Site
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link


class LobstersSource(Listing):
    type = "lobsters"
    summary = "lobste.rs tag listings for tag: queries; the newest stories for words"
    options = {
        "pages": opt(int, default=3, least=1, help="most pages of newest stories (25 each) read per run")
    }
    # Lobsters allows 30 requests a minute and 100 in ten minutes per address.
    site = Site("Lobsters", "https://lobste.rs", per_minute=10)
    not_an_answer = "not a Lobsters listing (expected a list of stories)"
    advice = "Lobsters refused the request: check [settings] user_agent names mentionscan and a contact URL"
    no_such_tag = (
        "Lobsters has no tag {tag!r} (see lobste.rs/tags): query {query!r} asks nothing "
        "there; its `sources` key can name the sources it is for"
    )

    def newest(self, page: int) -> tuple[str, dict[str, Any]]:
        return ("/newest.json" if page == 1 else f"/newest/page/{page}.json"), {}

    def tag_listing(self, tag: str, reach: timedelta | None) -> tuple[str, dict[str, Any]]:
        # One listing per tag: /t/a,b.json answers 404 unless every tag in it exists.
        return f"/t/{quote(tag.lower(), safe='')}.json", {}

    def entry(self, story: Mapping[str, Any]) -> Entry | None:
        url = safe_link(text_of(story, "comments_url")) or safe_link(text_of(story, "short_id_url"))
        if not url:
            return None
        submitter = story.get("submitter_user")
        # a user name in today's API, an object in older versions
        user = (
            text_of(submitter, "username")
            if isinstance(submitter, Mapping)
            else text_of(story, "submitter_user")
        )
        link = safe_link(text_of(story, "url"))
        short_id = text_of(story, "short_id")
        return self.make_entry(
            url=url,
            title=text_of(story, "title"),
            text=" ".join(part for part in (text_of(story, "description_plain"), link) if part),
            author=user or None,
            author_url=page_on(url, f"/~{quote(user)}") if user else None,
            published=parse_time(story.get("created_at")),
            tags=names(items(story, "tags")),
            native_id=f"lobsters:{short_id}" if short_id else None,
            link=link,
        )
