"""YouTube: the Data API v3 search for every query (a key, `key_env`), and a channel's and a
playlist's feed, which need no key (`channel_id`, `playlist_id`), matched here.

A search costs 100 of the API's 10,000 daily quota units, so one query is about 100 searches
a day: each asks only for videos published since the newest one seen (`publishedAfter`), and
a used-up quota stops the source until it resets (midnight Pacific time). A `tag:` query asks
for its hashtag. Feeds hold a channel's 15 newest videos; YouTube serves them with spells of
404 and 500 that pass, so those fail one run only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from mentionscan.config.model import SourceSpec, env_opt, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import error_json, items, reworded, table, text_of
from mentionscan.sources.feedparse import parse_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import Dialect, tag_cover, to_search_text
from mentionscan.timeutil import parse_time, to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

WEB = "https://www.youtube.com"
MAX_RESULTS = 50
# The search's `q`: "phrases", -exclusions and `|` for OR; no grouping.
DIALECT = Dialect("youtube", or_word="|", groups=False)
FEEDS = ("channel_id", "playlist_id")
QUOTA_RESET = ZoneInfo("America/Los_Angeles")  # the API's daily quota resets at midnight here


class YouTubeSource(SearchApi):
    type = "youtube"
    summary = "YouTube videos: the Data API v3 search (key_env), and a channel's or playlist's feed"
    needs = "an API key for search (key_env; 100 of its 10,000 daily quota units a search); feeds need none"
    options = {
        "key_env": env_opt("a YouTube Data API v3 key"),
        "channel_id": opt(str, help="a channel's feed (UC...), matched here: no key needed"),
        "playlist_id": opt(str, help="a playlist's feed (PL..., UU...), matched here: no key needed"),
    }
    site = Site("YouTube", "https://www.googleapis.com", per_minute=30)
    size_param = "maxResults"
    credential_advice = "check that ${key_env} holds a YouTube Data API v3 key with the API enabled"
    advice = (
        "YouTube's search needs an API key: set key_env to the name of an environment variable holding one"
    )
    not_an_answer = "not a YouTube search answer (no items)"

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if not any(spec.get(key) for key in (*FEEDS, "key_env")):
            raise ConfigError(f"{where}: give 'key_env' (search), or 'channel_id' or 'playlist_id' (a feed)")

    @property
    def feeds(self) -> list[str]:
        """The feeds this source reads besides its searches: "channel_id", "playlist_id"."""
        return [key for key in FEEDS if self.spec.get(key)]

    def prepare(self) -> None:
        self.secret = self.env("key_env", "a YouTube Data API v3 key")

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        # a feed serves every query: its state key (`*channel_id`) is no query's name
        searches = super().tasks(queries) if self.spec.get("key_env") else []
        return searches + [Task(self.name, None, f"{self.name}\x1f*{key}") for key in self.feeds]

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        if query is not None:
            return super().run(task, query, client, state)
        response = self._feed_request(client, task.state_key.rpartition("*")[2])
        kwargs = {"url": response.url, "source": self.name, "source_type": self.type, "key_scope": "global"}
        job = ParseJob(parse_feed, response.body, dict(response.headers), {**kwargs, "adapt": video})
        return TaskResult(parse=job)

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        if self.spec.get("key_env"):
            return super().probe(client, queries)
        return self._feed_request(client, self.feeds[0])

    def _feed_request(self, client: HttpClient, key: str) -> Response:
        root = urlsplit(self.spec.base_url or WEB)
        url = f"{root.scheme}://{root.netloc}{root.path.rstrip('/')}/feeds/videos.xml"
        return client.get(url, params={key: self.spec.get(key)}, rate_per_minute=self.host_rate)

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        tags = tag_cover(query.node)
        text = " | ".join(f"#{tag}" for tag in tags) if tags else to_search_text(query.node, DIALECT)
        if not text:
            return []
        params: dict[str, Any] = {
            "part": "snippet",
            "type": "video",
            "order": "date",
            "q": text,
            "maxResults": MAX_RESULTS,
            "key": self.secret,
        }
        since = self.since(state.cursor())
        if since is not None:
            params["publishedAfter"] = to_iso(since)
        return [Ask("/youtube/v3/search", params)]

    def explain(self, error: FetchError, params: Mapping[str, Any]) -> FetchError:
        reasons = {text_of(e, "reason") for e in items(table(error_json(error), "error"), "errors")}
        if error.status in (403, 429) and reasons & {
            "quotaExceeded",
            "dailyLimitExceeded",
            "rateLimitExceeded",
        }:
            now = utcnow()
            midnight = (now.astimezone(QUOTA_RESET) + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            wait = max(60.0, (midnight - now).total_seconds())
            return reworded(
                error,
                f"YouTube's daily API quota is used up (each search costs 100 of 10,000 units): "
                f"the source waits until it resets at {to_iso(midnight)}",
                retry_after=wait,
            )
        return super().explain(error, params)

    def items(self, data: Any) -> list[Any] | None:
        found = data.get("items") if isinstance(data, Mapping) else None
        return found if isinstance(found, list) else None

    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        video_id = text_of(table(item, "id"), "videoId")
        snippet = table(item, "snippet")
        if not video_id:
            return None
        channel = text_of(snippet, "channelId")
        return self.make_entry(
            url=f"{WEB}/watch?v={video_id}",
            title=text_of(snippet, "title"),
            text=text_of(snippet, "description"),
            author=text_of(snippet, "channelTitle") or None,
            author_url=f"{WEB}/channel/{channel}" if channel else None,
            published=parse_time(snippet.get("publishedAt")),
            native_id=f"yt:{video_id}",
        )


def video(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
    """A channel feed's entry under the id a search gives the same video (runs in the parse job)."""
    video_id = str(raw.get("yt_videoid") or "")
    return replace(entry, native_id=f"yt:{video_id}") if video_id else entry
