"""Bing News articles through `news/search?format=rss` (no key).

Each item links through Bing's click tracker (`bing.com/news/apiclick.aspx?...&url=...`), whose
other parameters change with every answer: the publisher's address is read out of it and used
as the link and the id. The publisher's name is the author. Only what is new is asked with
Bing's time filter (`qft=interval="7"`: a day, `"8"`: a week, `"9"`: a month).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mentionscan.config.model import opt
from mentionscan.models import Entry
from mentionscan.sources.common import DAY, MONTH, WEEK, window
from mentionscan.sources.searchfeed import SearchFeed
from mentionscan.sources.sitesource import Site
from mentionscan.text import one_line
from mentionscan.urls import canonical_url, host_of, safe_link

INTERVALS = {DAY: '"7"', WEEK: '"8"', MONTH: '"9"'}  # `qft=interval=...`


class BingNewsSource(SearchFeed):
    type = "bing_news"
    summary = "Bing News articles (news/search RSS); the publisher is the author"
    options = {"market": opt(str, help="Bing market, e.g. en-US, de-DE (default: Bing's guess)")}
    site = Site("Bing News", "https://www.bing.com", per_minute=20)
    dialect = "bing_news"
    refuser = "Bing refused the search"
    advice = "it needs no key, so this network is probably blocked: try again later or from another network"

    def search(self, text: str, since: datetime | None) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"q": text, "format": "rss"}
        if self.spec.get("market"):
            params["mkt"] = self.spec.get("market")
        interval = window(since, INTERVALS, "")
        if interval:
            params["qft"] = f"interval={interval}"
        return "/news/search", params

    @staticmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        """The publisher's link for Bing's tracker (no link: dropped), and the publisher as author."""
        url = publisher_link(entry.url)
        if not url:
            return None  # a tracker link changes with every answer: it cannot identify the article
        return replace(
            entry,
            url=url,
            author=one_line(raw.get("news_source")) or entry.author,
            native_id="bing:" + hashlib.sha1(canonical_url(url).encode()).hexdigest(),
        )


def publisher_link(link: str) -> str:
    """The publisher's URL inside a Bing click-tracking link ("" if unreadable); any other link as it is."""
    parts = urlsplit(link)
    if not (host_of(link).endswith("bing.com") and "apiclick" in parts.path.lower()):
        return safe_link(link)
    target = parse_qs(parts.query).get("url") or [""]
    return safe_link(target[0])
