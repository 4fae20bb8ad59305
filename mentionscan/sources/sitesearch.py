"""What the sources asking a site's search share: the cursor, times, JSON bodies, refusals.

The cursor of a (source, query) task is one ISO time in its state, `cursor`: the newest
publication time seen (sites that filter by creation time) or the time of the last successful
request (feeds that only take a time window). The next run asks from the cursor less `LAG`,
since sites index late and a second sighting is merged, never stored twice; and never from
before `max_age_days`, whose entries the pipeline would drop anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.timeutil import parse_time, to_iso, utcnow

LAG = timedelta(hours=1)
JSON_ACCEPT = "application/json"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"


def since_time(state: Mapping[str, Any], settings: Settings, now: datetime | None = None) -> datetime | None:
    """The oldest publication time worth asking for; None: no bound (first run, no max age)."""
    now = now or utcnow()
    bounds: list[datetime] = []
    try:
        cursor = parse_time(state.get("cursor"))
    except (TypeError, ValueError):
        cursor = None
    if cursor is not None:
        bounds.append(min(cursor, now) - LAG)
    if settings.max_age_days:
        bounds.append(now - timedelta(days=settings.max_age_days))
    return max(bounds) if bounds else None


def newest_cursor(state: Mapping[str, Any], times: Iterable[datetime | None]) -> dict[str, Any]:
    """The state to keep: the newest of the old cursor and `times` (never past now); {} if none."""
    seen = [t for t in times if t is not None]
    try:
        old = parse_time(state.get("cursor"))
    except (TypeError, ValueError):
        old = None
    if old is not None:
        seen.append(old)
    if not seen:
        return {}
    return {"cursor": to_iso(min(max(seen), utcnow()))}


def asked_cursor() -> dict[str, Any]:
    """The state to keep for a site that only takes a time window: now, when the request succeeded."""
    return {"cursor": to_iso(utcnow())}


def window(since: datetime | None, choices: Sequence[tuple[timedelta, str]], default: str) -> str:
    """The first of `choices` (shortest first) whose span reaches back to `since`; `default` if none."""
    if since is None:
        return default
    span = utcnow() - since
    for length, value in choices:
        if span <= length:
            return value
    return default


def epoch_time(value: object) -> datetime | None:
    """Epoch seconds (int, float or digits) as a UTC datetime; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: object) -> datetime | None:
    """An ISO 8601 time (`Z`, an offset or none, which means UTC) as UTC; None when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)


def as_dict(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


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
