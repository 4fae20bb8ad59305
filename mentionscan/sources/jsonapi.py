"""What the sources reading a site's JSON API share: times, refusals, tag queries, newest-first paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from mentionscan.errors import FetchError
from mentionscan.matching.matcher import And, Node, Not, Or, Tag
from mentionscan.models import Entry
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import utcnow

REFUSED = (401, 403)
# A task name no query can have (query names start with a letter or digit): the one request
# to a site's newest-first listing that serves every query that is not about tags.
NEWEST = "*newest"


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string (with or without zone: none means UTC) or epoch seconds, as UTC; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)


def text_of(data: Mapping[str, Any], *path: str) -> str:
    """`data[path[0]][path[1]]...` as a one-line plain string ("" when missing or not text)."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return one_line(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`data[key]` when it is an object, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def items(data: Mapping[str, Any], key: str) -> list[Any]:
    """`data[key]` when it is a list, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def title_of(text: str, limit: int = 80) -> str:
    """A title for a post that has none: its text on one line, cut at a word."""
    return truncate(one_line(text), limit)


def refused(error: FetchError, advice: str) -> FetchError:
    """`error` with what to do appended when the site refused us (401, 403); otherwise `error` itself."""
    if error.status not in REFUSED:
        return error
    return FetchError(f"{error}: {advice}", status=error.status, retry_after=error.retry_after)


def tag_cover(node: Node) -> list[str] | None:
    """Tags such that every entry `node` matches carries one of them; None when a word can match alone.

    `tag:a` -> [a]; `tag:a OR tag:b` -> [a, b]; `tag:a acme` -> [a]; `acme OR tag:a` -> None.
    Such a query can be asked of a site's tag endpoints only, and still be matched in full here.
    """
    if isinstance(node, Tag):
        return [node.name]
    if isinstance(node, And):
        covers = [c for c in (tag_cover(n) for n in node.nodes) if c is not None]
        return min(covers, key=len) if covers else None
    if isinstance(node, Or):
        names: list[str] = []
        for child in node.nodes:
            cover = tag_cover(child)
            if cover is None:
                return None
            names += [name for name in cover if name not in names]
        return names
    if isinstance(node, Not):
        return None
    return None


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
