"""What the site source types share: reading JSON answers, the time bound and cursors, refusals.

The cursor of a task is the newest thing it has seen (a publication time, or the site's own id)
or the time it last asked a site that only takes a time window. The next run asks from the
cursor less a margin (`LAG`: sites index late, and a second sighting is merged, never stored
twice), and never from before `max_age_days`, whose entries the pipeline would drop anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.interface import Source
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import parse_time, to_iso, utcnow

LAG = timedelta(hours=1)
JSON_ACCEPT = "application/json"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
REFUSED = (401, 403)
# A task name no query can have (query names start with a letter or digit): the one request
# to a site's newest-first listing that serves every query that is not about tags.
NEWEST = "*newest"


def since_time(cursor: object, settings: Settings, lag: timedelta = LAG) -> datetime | None:
    """The oldest time worth asking for: max(cursor - lag, now - max_age_days); None: no bound."""
    now = utcnow()
    bounds: list[datetime] = []
    seen = parse_time(cursor)
    if seen is not None:
        bounds.append(min(seen, now) - lag)
    if settings.max_age_days:
        bounds.append(now - timedelta(days=settings.max_age_days))
    return max(bounds) if bounds else None


def newest_time(old: object, times: Iterable[datetime | None]) -> str | None:
    """The newest of the old cursor and `times`, never past now, as ISO; None if there is none."""
    seen = [t for t in (parse_time(old), *times) if t is not None]
    return to_iso(min(max(seen), utcnow())) if seen else None


def newest_id(ids: Iterable[object]) -> str | None:
    """The newest of some ids: numeric ids compare as numbers, others by length then text."""
    valid = [str(i) for i in ids if isinstance(i, str | int) and not isinstance(i, bool) and str(i)]
    if not valid:
        return None
    return max(valid, key=lambda i: (0, int(i), "") if i.isdigit() else (1, len(i), i))


def window(since: datetime | None, choices: Sequence[tuple[timedelta, str]], default: str) -> str:
    """The first of `choices` (shortest first) whose span reaches back to `since`; `default` if none."""
    if since is None:
        return default
    span = utcnow() - since
    for length, value in choices:
        if span <= length:
            return value
    return default


def table(data: object, key: str) -> Mapping[str, Any]:
    """`data[key]` when `data` is an object and that is one too, else an empty one."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def items(data: object, key: str) -> list[Any]:
    """`data[key]` when `data` is an object and that is a list, else an empty one."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, list) else []


def text_of(data: Mapping[str, Any], *path: str) -> str:
    """`data[path[0]][path[1]]...` as a one-line plain string ("" when missing or not text)."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return one_line(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def title_of(text: str, limit: int = 80) -> str:
    """A title for a post that has none: its text on one line, cut at a word."""
    return truncate(one_line(text), limit)


def json_object(body: bytes, where: str, site: str) -> dict[str, Any]:
    """A JSON object body; FetchError naming the site when it is something else (an HTML block page)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        head = body[:512].lower()
        kind = "a web page" if b"<html" in head or b"<!doctype" in head else "something that is not JSON"
        raise FetchError(f"{where}: {site} answered with {kind} instead of search results") from None
    if not isinstance(data, dict):
        raise FetchError(f"{where}: {site} answered with JSON that is not an object")
    return data


def error_json(error: FetchError) -> dict[str, Any]:
    """The JSON object of an error response, or {}."""
    try:
        data = json.loads(error.body) if error.body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def reworded(error: FetchError, message: str, retry_after: float | None = None) -> FetchError:
    """`error` with a message that says what the site meant and what to do; status and body kept."""
    return FetchError(
        message,
        status=error.status,
        retry_after=retry_after if retry_after is not None else error.retry_after,
        headers=error.headers,
        body=error.body,
    )


def refused(error: FetchError, advice: str, who: str = "", detail: str = "") -> FetchError:
    """A 401 or 403 with what to do; any other error as it is.

    With `who` ("Reddit refused the search") the message says that and the status (and
    `detail`, the site's own words); without, it keeps the request's URL and reason.
    """
    if error.status not in REFUSED:
        return error
    if who:
        return reworded(error, f"{who} (HTTP {error.status}{detail}): {advice}")
    return reworded(error, f"{error}: {advice}")


def scrubbed(error: FetchError, secret: str | None) -> FetchError:
    """`error` with `secret` (an API key sent as a URL parameter) masked in its message."""
    if not secret or secret not in str(error):
        return error
    return reworded(error, str(error).replace(secret, "***"))


def nothing_to_ask(query: str, site: str) -> str:
    """The warning for a query the site's search cannot express at all."""
    return (
        f"query {query!r} was not asked: it has no term {site} can search for "
        "(its search takes words and phrases, not author: or the like)"
    )


def newest_first(
    fetch_page: Callable[[int], list[Entry]], cursor: datetime | None, max_pages: int
) -> tuple[list[Entry], datetime | None, int]:
    """Read pages 1, 2, ... of a newest-first listing until one reaches `cursor`.

    Without a cursor (the first run) one page is read. Returns the entries not older than the
    cursor, the new cursor (the newest publication time seen, never later than now and never
    earlier than the old cursor) and the number of requests made.
    """
    entries: list[Entry] = []
    requests = 0
    for page in range(1, (max_pages if cursor else 1) + 1):
        batch = fetch_page(page)
        requests += 1
        entries += [e for e in batch if cursor is None or e.published is None or e.published >= cursor]
        if not batch or cursor is None or any(e.published and e.published <= cursor for e in batch):
            break
    times = [e.published for e in entries if e.published is not None]
    newest = max([*times, *([cursor] if cursor else [])], default=None)
    if newest is not None:
        newest = min(newest, utcnow())
    return entries, newest, requests


class SiteSource(Source):
    """A source type that asks one site: its endpoint, or `base_url` in its place."""

    endpoint: ClassVar[str] = ""  # the real site's scheme and host; `base_url` replaces it

    @property
    def root(self) -> str:
        """Where requests go: `base_url`, else the configured instance, else the site's endpoint."""
        return self.spec.base_url or str(self.spec.get("instance") or self.endpoint)

    def url(self, path: str, query: str = "") -> str:
        """`path` on the site, or on `base_url` (scheme and host replaced, its own path prefixed)."""
        parts = urlsplit(self.root)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, query, ""))
