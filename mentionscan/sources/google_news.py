"""Google News articles through the `rss/search` feed (no key).

The publisher is the author (the feed has no byline); titles lose their " - Publisher" suffix.
Links stay Google's own `news.google.com/rss/articles/...`: since 2024 the article's address
can no longer be read from them. Only what is new is asked with `after:YYYY-MM-DD` in the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError
from mentionscan.models import Entry
from mentionscan.sources.common import table
from mentionscan.sources.searchfeed import SearchFeed
from mentionscan.sources.sitesource import Site
from mentionscan.text import one_line
from mentionscan.urls import safe_link

_CEID = re.compile(r"^[A-Z]{2}:[A-Za-z]{2,3}(-[A-Za-z0-9]+)?$")


class GoogleNewsSource(SearchFeed):
    type = "google_news"
    summary = "Google News articles (rss/search); the publisher is the author"
    options = {
        "hl": opt(str, default="en-US", help="interface language, e.g. en-US, de, pt-BR"),
        "gl": opt(str, default="US", help="country edition, e.g. US, DE, BR"),
        "ceid": opt(str, default="US:en", help="edition id, country:language, e.g. US:en, DE:de"),
    }
    site = Site("Google News", "https://news.google.com", per_minute=20)
    dialect = "google_news"
    advice = (
        "it needs no key, so this network is probably blocked or sent to a consent page: "
        "try again later or from another network"
    )

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not _CEID.match(spec.get("ceid")):
            raise ConfigError(
                f"{where}: 'ceid' must be country:language like \"US:en\", not {spec.get('ceid')!r}"
            )

    def search(self, text: str, since: datetime | None) -> tuple[str, dict[str, Any]]:
        if since is not None:  # the date bounds every alternative
            text = f"{f'({text})' if ' OR ' in text else text} after:{since.date().isoformat()}"
        return "/rss/search", {
            "q": text,
            "hl": self.spec.get("hl"),
            "gl": self.spec.get("gl"),
            "ceid": self.spec.get("ceid"),
        }

    @staticmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        """The publisher as the author, the title and text without it, Google's article id."""
        publisher_info = table(raw, "source")
        publisher = one_line(publisher_info.get("title"))
        title, text = entry.title, entry.text
        if publisher:
            title = title.removesuffix(f" - {publisher}").strip() or title
            # The description is the headline as a link, then the publisher: nothing new.
            text = text.removesuffix(publisher).strip()
        if text == title:
            text = ""
        return replace(
            entry,
            title=title,
            text=text,
            author=publisher or entry.author,
            author_url=safe_link(str(publisher_info.get("href") or "")) or entry.author_url,
            native_id=f"gnews:{entry.native_id}" if entry.native_id else None,
        )
