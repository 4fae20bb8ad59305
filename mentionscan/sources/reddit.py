"""Reddit posts through the `search.rss` feed, newest first (Reddit's JSON needs OAuth since 2026).

Reddit allows about 10 feed requests a minute per address and blocks many cloud and VPN
networks outright (HTTP 403, or a web page instead of the feed). The feed only takes a time
window (`t=hour|day|week|...`), chosen from the last successful run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError
from mentionscan.models import Entry
from mentionscan.sources.common import window
from mentionscan.sources.searchfeed import SearchFeed
from mentionscan.urls import canonical_url, host_of, safe_link

WINDOWS = (
    (timedelta(hours=1), "hour"),
    (timedelta(days=1), "day"),
    (timedelta(days=7), "week"),
    (timedelta(days=31), "month"),
    (timedelta(days=365), "year"),
)
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
# A thing's fullname at the end of the entry's id: feedparser may have resolved the id against an
# xml:base of the content before it ("/t3_42tizy", "https://www.reddit.com/t3_42tizy").
_THING = re.compile(r"(?:^|/)(t[1-6]_[0-9a-z]+)/?$")
# The footer's "[link]": where a link post points (a self post's points at the post itself).
_LINK = re.compile(r"""<a\s[^>]*?href=["']([^"']+)["'][^>]*>\s*\[link\]\s*</a>""", re.I)
# The feed appends "submitted by /u/name to r/sub [link] [comments]" to every post's text.
_BOILERPLATE = re.compile(r"\s*submitted by /u/[\w-]+(?: to r/\w+)?(?: \[link\])?(?: \[comments\])?\s*$")
_BLOCKED = (
    "Reddit blocks many cloud and VPN networks and clients it takes for scrapers: "
    "run mentionscan from another network (a home or office connection), and not more than "
    "a few times an hour"
)


class RedditSource(SearchFeed):
    type = "reddit"
    summary = "Reddit posts (search.rss, newest first), optionally in some subreddits only"
    needs = "a real User-Agent (user_agent in [settings]); some networks are blocked"
    options = {"subreddits": opt(list, help="search only these subreddits (names without r/)")}
    endpoint = "https://www.reddit.com"
    rate_per_minute = 10
    site = "Reddit"
    dialect = "reddit"
    size_param = "limit"
    refuser = "Reddit refused the search"
    advice = block_advice = _BLOCKED
    rate_advice = "Reddit allows about 10 searches a minute from one address"

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        for name in spec.get("subreddits") or []:
            if not isinstance(name, str) or not _SUBREDDIT.match(name.removeprefix("r/")):
                raise ConfigError(
                    f"{where}: 'subreddits' must list subreddit names like \"python\", not {name!r}"
                )

    @property
    def subreddits(self) -> list[str]:
        return [str(name).removeprefix("r/") for name in self.spec.get("subreddits") or []]

    def search(self, text: str, since: datetime | None) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {
            "q": text,
            "sort": "new",
            "t": window(since, WINDOWS, "all"),
            "limit": 100,
            "type": "link",
        }
        if not self.subreddits:
            return "/search.rss", params
        params["restrict_sr"] = "on"
        return "/r/" + quote("+".join(self.subreddits), safe="+") + "/search.rss", params

    @staticmethod
    def adapt(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
        """Posts (t3_) and comments (t1_) only, with Reddit's ids, plain author names and no boilerplate."""
        found = _THING.search(str(raw.get("id") or "").strip())
        thing = found.group(1) if found else ""
        if not thing.startswith(("t3_", "t1_")):
            return None  # t5_: a subreddit the search also found
        author = (entry.author or "").removeprefix("/u/") or None
        text = _BOILERPLATE.sub("", entry.text)
        link = _link_of(raw, entry.url)
        if link and link not in text:
            text = f"{text} {link}".strip()  # the page a link post points at counts as its text
        return replace(entry, author=author, text=text, native_id=f"reddit:{thing}", link=link)


def _link_of(raw: Mapping[str, Any], url: str) -> str:
    """Where a link post points (its footer's "[link]"), or "" for a self post or a comment."""
    contents = raw.get("content") or [{}]
    body = contents[0].get("value") if isinstance(contents[0], Mapping) else ""
    found = _LINK.search(html.unescape(str(body or raw.get("summary") or "")))
    link = safe_link(html.unescape(found.group(1))) if found else ""
    if not link or canonical_url(link) == canonical_url(url) or host_of(link).endswith("reddit.com"):
        return ""  # a self post's [link] is the post itself; a gallery or crosspost stays on Reddit
    return link
