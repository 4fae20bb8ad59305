"""Reddit's OAuth API, for a `reddit` source with `client_id_env` and `client_secret_env`.

A "script" app (https://www.reddit.com/prefs/apps) gets an app-only token by the client
credentials grant (`POST www.reddit.com/api/v1/access_token`), once a run; searches then go to
`oauth.reddit.com/search`, newest first, with `restrict_sr` for `subreddits`, whose newest
comments (`/r/{subreddits}/comments`) are read and matched here too. Reddit allows 100 requests
a minute per client and says what is left in `X-Ratelimit-Remaining` and `X-Ratelimit-Reset`
(seconds): when the allowance is used up, the source stops until it resets.
"""

from __future__ import annotations

import time
from base64 import b64encode
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    DAY,
    HOUR,
    MONTH,
    WEEK,
    YEAR,
    refused,
    reworded,
    table,
    text_of,
    title_of,
    window,
)
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.session import Session
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import to_search_text
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

WEB = "https://www.reddit.com"  # where the token is asked for, and where people read posts
TOKEN_PATH = "/api/v1/access_token"  # noqa: S105 - a path, not a password
LIMIT = 100
SHORT_WAIT = 5.0  # seconds worth waiting for the allowance inside a run; longer stops the source
# The time windows Reddit's search takes (`t`).
WINDOWS = {HOUR: "hour", DAY: "day", WEEK: "week", MONTH: "month", YEAR: "year"}


class RedditApi(SearchApi):
    """The OAuth path of the `reddit` type (its options and checks are `RedditSource`'s)."""

    type = "reddit"
    summary = "Reddit's OAuth API (search, newest first), with a script app's credentials"
    # under Reddit's 100 a minute per client, for the other tools sharing it
    site = Site("Reddit", "https://oauth.reddit.com", per_minute=60)
    size_param = "limit"
    max_pages = 3
    credential_advice = advice = (
        "check that ${client_id_env} and ${client_secret_env} hold the id and secret of a "
        '"script" app (https://www.reddit.com/prefs/apps)'
    )
    rate_advice = "Reddit allows 100 requests a minute per app"
    not_an_answer = "not a Reddit listing (no data.children)"

    def __init__(self, *args: Any, subreddits: list[str], credentials: tuple[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.subreddits, self.credentials = subreddits, credentials
        self.session = Session(self._log_in, self._login_refused)
        self._resets_at = 0.0  # monotonic time the allowance comes back, once it is used up

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Accept": "application/json"}

    def _log_in(self, client: HttpClient) -> str:
        """An app-only token, by the client credentials grant."""
        basic = b64encode(":".join(self.credentials).encode()).decode()
        token_url = (self.spec.base_url.rstrip("/") if self.spec.base_url else WEB) + TOKEN_PATH
        response = client.request(
            "POST",
            token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            rate_per_minute=self.host_rate,
        )
        answer = response.json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            said = text_of(answer, "error") if isinstance(answer, dict) else ""
            raise FetchError(f"Reddit gave no token ({said or 'no access_token'}): {self.advice}")
        return token

    def _login_refused(self, error: FetchError) -> FetchError:
        who = "Reddit refused the app's credentials"
        return refused(error, self.advice.format_map(self.spec.options), who)

    def request(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Response:
        self.bearer = self.session.token(client)
        wait = self._resets_at - time.monotonic()
        if 0 < wait <= SHORT_WAIT:
            time.sleep(wait)
        elif wait > SHORT_WAIT:
            raise FetchError(
                f"Reddit's allowance of API requests is used up (X-Ratelimit-Remaining: 0); "
                f"it resets in {wait:.0f} s",
                status=429,
                retry_after=wait,
            )
        response = super().request(client, path, params)
        self._note_allowance(response.headers)
        return response

    def _note_allowance(self, headers: Mapping[str, str]) -> None:
        try:
            remaining = float(headers.get("x-ratelimit-remaining", "") or "inf")
            reset = float(headers.get("x-ratelimit-reset", "") or 0)
        except ValueError:
            return
        if remaining < 1:
            self._resets_at = time.monotonic() + reset

    def explain(self, error: FetchError, params: Mapping[str, Any]) -> FetchError:
        if error.status == 429:
            reset = error.headers.get("x-ratelimit-reset", "").strip()
            wait = float(reset) if reset.replace(".", "", 1).isdigit() else error.retry_after
            after = f"; it resets in {wait:.0f} s" if wait else ""
            return reworded(error, f"{error}: {self.rate_advice}{after}", retry_after=wait)
        return super().explain(error, params)

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        text = to_search_text(query.node, "reddit")
        if not text:
            return []
        params: dict[str, Any] = {"q": text, "sort": "new", "limit": LIMIT, "type": "link", "raw_json": 1}
        params["t"] = window(self.since(state.cursor("")), WINDOWS, "all")
        if not self.subreddits:
            return [Ask("/search", params)]
        where = "/r/" + quote("+".join(self.subreddits), safe="+")
        comments = Ask(f"{where}/comments", {"limit": LIMIT, "raw_json": 1}, key="comments")
        return [Ask(f"{where}/search", {**params, "restrict_sr": 1}), comments]

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        """The search's next page when this one was full; comments are read from the newest only."""
        after = table(data, "data").get("after")
        if ask.key == "comments" or count < LIMIT or not isinstance(after, str) or not after:
            return None
        return ask.next(after=after)

    def items(self, data: Any) -> list[Any] | None:
        children = table(data, "data").get("children")
        return children if isinstance(children, list) else None

    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        """A post (t3) or a comment (t1) of a listing."""
        kind, data = item.get("kind"), table(item, "data")
        name, permalink = text_of(data, "name"), text_of(data, "permalink")
        if kind not in ("t3", "t1") or not name.startswith(f"{kind}_") or not permalink.startswith("/"):
            return None
        author = text_of(data, "author")
        author = "" if author in ("[deleted]", "[removed]") else author
        created = data.get("created_utc")
        published = (
            datetime.fromtimestamp(created, UTC) if isinstance(created, int | float) and created > 0 else None
        )
        if kind == "t1":
            body = text_of(data, "body")
            title = (
                f"Comment on {text_of(data, 'link_title')}" if text_of(data, "link_title") else title_of(body)
            )
            link, text = "", body
        else:
            title, text = text_of(data, "title"), text_of(data, "selftext")
            linked = safe_link(text_of(data, "url_overridden_by_dest") or text_of(data, "url"))
            link = "" if data.get("is_self") or "reddit.com" in linked or "redd.it" in linked else linked
            text = f"{text} {link}".strip() if link and link not in text else text
        return self.make_entry(
            url=WEB + quote(permalink, safe="/%:@!$&'()*+,;=-._~"),
            title=title,
            text=text,
            author=author or None,
            author_url=f"{WEB}/user/{quote(author)}" if author else None,
            published=published,
            tags=(text_of(data, "subreddit"),) if text_of(data, "subreddit") else (),
            native_id=f"reddit:{name}",
            link=link,
        )
