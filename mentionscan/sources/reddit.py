"""Reddit posts through the `search.rss` feed, newest first; with an app's credentials, its OAuth API.

Logged out, Reddit allows few feed requests a minute per address (about 1 since mid-2026) and
blocks many cloud and VPN networks outright (HTTP 403, or a web page instead of the feed): its
errors say that a "script" app's credentials are the fix. With `client_id_env` and
`client_secret_env` every task goes to `reddit_api.RedditApi` instead. The feed only takes a time
window (`t=hour|day|week|...`), chosen from the last successful run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, env_opt, opt
from mentionscan.errors import ConfigError
from mentionscan.models import Entry
from mentionscan.sources.common import window
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.reddit_api import WINDOWS, RedditApi
from mentionscan.sources.searchfeed import SearchFeed
from mentionscan.sources.sitesource import Site
from mentionscan.urls import canonical_url, host_of, safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

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
    "a few times an hour; or give it a Reddit app's credentials (client_id_env and "
    "client_secret_env), which Reddit does not throttle so"
)


class RedditSource(SearchFeed):
    type = "reddit"
    summary = "Reddit posts (search.rss, or the OAuth API with an app's credentials), newest first"
    needs = "a real User-Agent (user_agent in [settings]); an app's credentials avoid the feed's limits"
    options = {
        "subreddits": opt(list, help="search only these subreddits (names without r/)"),
        "client_id_env": env_opt('a "script" app\'s client id'),
        "client_secret_env": env_opt("that app's secret"),
    }
    site = Site("Reddit", "https://www.reddit.com", per_minute=10)
    dialect = "reddit"
    size_param = "limit"
    advice = block_advice = _BLOCKED
    rate_advice = (
        "Reddit allows logged-out readers about 1 search a minute from one address; "
        "a Reddit app's credentials (client_id_env, client_secret_env) lift that"
    )
    api: RedditApi | None = None

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        for name in spec.get("subreddits") or []:
            if not isinstance(name, str) or not _SUBREDDIT.match(name.removeprefix("r/")):
                raise ConfigError(
                    f"{where}: 'subreddits' must list subreddit names like \"python\", not {name!r}"
                )
        if bool(spec.get("client_id_env")) != bool(spec.get("client_secret_env")):
            raise ConfigError(f"{where}: 'client_id_env' and 'client_secret_env' go together: set both")

    def prepare(self) -> None:
        client_id = self.env("client_id_env", "a Reddit app's client id")
        secret = self.env("client_secret_env", "a Reddit app's secret")
        if client_id and secret:
            self.api = RedditApi(
                self.spec, self.settings, subreddits=self.subreddits, credentials=(client_id, secret)
            )

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        if self.api is not None:
            return self.api.run(task, query, client, state)
        return super().run(task, query, client, state)

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        return self.api.probe(client, queries) if self.api is not None else super().probe(client, queries)

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
