"""Helpers the source families share: the time bound and cursors, reading JSON, refusals' wording.

The cursor of a task is the newest thing it has seen (a publication time, or the site's own id)
or the time it last asked a site that only takes a time window. The next run asks from the
cursor less a margin (`LAG`: sites index late, and a second sighting is merged, never stored
twice), and never from before `max_age_days`, whose entries the pipeline would drop anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import parse_time, to_iso, utcnow
from mentionscan.urls import redact

LAG = timedelta(hours=1)
_log = logging.getLogger("mentionscan.sources")
JSON_ACCEPT = "application/json"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
REFUSED = (401, 403)
# What a probe searches for when no query has anything the site can ask: a word that costs nothing.
PROBE_TEXT = "mentionscan"
NO_TERM = (
    "query {query!r} was not asked: it has no term {site} can search for "
    "(its search takes words and phrases, not author: or the like)"
)
NO_WORDS = "query {query!r} not asked: it has no words {site} can search for"
# The task (and state) key of the one request to a site's newest-first listing that serves every
# query not about tags: no query can be named so (query names start with a letter or digit).
NEWEST = "*newest"


def since_time(
    cursor: object, settings: Settings, lag: timedelta = LAG, now: datetime | None = None
) -> datetime | None:
    """The oldest time worth asking for: max(cursor - lag, now - max_age_days); None: no bound."""
    now = now or utcnow()
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


# The spans of the time filters sites offer instead of a date (Reddit's `t`, Bing's `interval`);
# a month is 31 days, so that "the last month" covers any calendar month.
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)
MONTH, YEAR = timedelta(days=31), timedelta(days=365)


def window(since: datetime | None, choices: Mapping[timedelta, str], default: str) -> str:
    """The value of the shortest span of `choices` that reaches back to `since`; `default` if none."""
    if since is None:
        return default
    span = utcnow() - since
    return next((value for length, value in sorted(choices.items()) if span <= length), default)


def table(data: object, key: str) -> Mapping[str, Any]:
    """`data[key]` when `data` is an object and that is one too, else an empty one."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def items(data: object, key: str) -> list[Any]:
    """`data[key]` when `data` is an object and that is a list, else an empty one."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, list) else []


def plain(value: object) -> str:
    """A JSON string or number as one line of text; "" for anything else."""
    return one_line(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def text_of(data: Mapping[str, Any], *path: str) -> str:
    """`data[path[0]][path[1]]...` as a one-line plain string ("" when missing or not text)."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return plain(value)


def names(values: Iterable[object], key: str = "") -> tuple[str, ...]:
    """The texts of `values` (or of each one's `key`: labels, tags), one line each, empty ones left out."""
    found = (plain(v.get(key) if key and isinstance(v, Mapping) else v) for v in values)
    return tuple(name for name in found if name)


def whole(value: object) -> int | None:
    """`value` if it is an integer (an id), not a boolean; else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def page_on(url: str, path: str) -> str:
    """The page at `path` on the site `url` is on (an author's, on whichever instance it was)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def title_of(text: str, limit: int = 80) -> str:
    """A title for a post that has none: its text on one line, cut at a word."""
    return truncate(one_line(text), limit)


def json_object(body: bytes, where: str, site: str) -> dict[str, Any]:
    """A JSON object body; FetchError naming the site when it is something else (an HTML block page)."""
    try:
        data = json.loads(body)
    except RecursionError:  # json parses nesting by recursion: a hostile answer nests thousands deep
        raise FetchError(f"{where}: {site} answered with JSON nested too deeply to read") from None
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
    except (ValueError, UnicodeDecodeError, RecursionError):
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


def sized(params: Mapping[str, Any], key: str | None, size: int = 1) -> dict[str, Any]:
    """`params` asking for `size` results, where `key` is the parameter that says how many."""
    return {**params, key: size} if key and key in params else dict(params)


def translated(source: str, query: str, path: str, params: Mapping[str, Any]) -> None:
    """Tell --verbose how query `query` is asked of `source`, in that site's own terms."""
    if _log.isEnabledFor(logging.DEBUG):
        sent = {key: value for key, value in params.items() if value is not None}  # as requests sends
        asked = redact(f"{path}?{urlencode(sent, doseq=True, quote_via=quote)}")
        _log.debug("%s: query %r asked as %s", source, query, unquote(asked))  # read as typed: q="a b"


def unreadable(count: int, site: str) -> str:
    """The warning for an answer of `count` items none of which could be read: never "0 entries"."""
    noun = "item" if count == 1 else "items"
    return f"{site} answered {count} {noun}, none of which could be read: has its format changed?"
