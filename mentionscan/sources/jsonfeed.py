"""JSON Feed 1.0 and 1.1 (jsonfeed.org) items to the feedparser-shaped dicts `feedentry` maps.

feedparser 6 does not read JSON Feed. Each item becomes the keys feedparser would give an Atom
entry (`title`, `link`, `id`, `content`, `summary`, `authors`, `tags`, `*_parsed` times), so one
mapping turns every feed format into `Entry` records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mentionscan.timeutil import parse_time

# The spec says https://jsonfeed.org/version/1.1; feeds in the wild also write "1.1" or "1".
_VERSION = re.compile(r"^(?:https?://jsonfeed\.org/version/\S+|\d+(?:\.\d+)*)$")


def is_json_feed(data: object) -> bool:
    """Whether parsed JSON is a JSON Feed: an object whose `version` names a JSON Feed version."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("version"), str)
        and bool(_VERSION.match(data["version"].strip()))
    )


def authors(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """1.1's `authors` (a list, or one object), then 1.0's deprecated `author`: every named one."""
    found: list[dict[str, Any]] = []
    listed = data.get("authors")
    for author in [*(listed if isinstance(listed, list) else [listed]), data.get("author")]:
        if isinstance(author, Mapping) and (_string(author, "name") or _string(author, "url")):
            entry = {"name": _string(author, "name"), "href": _string(author, "url")}
            if entry not in found:
                found.append(entry)
    return found


def item_dict(item: Mapping[str, Any]) -> dict[str, Any]:
    """One JSON Feed item as feedparser would shape an entry; only strings are taken as text."""
    html = _string(item, "content_html") or _string(item, "summary")
    text = _string(item, "content_text")
    content = [{"type": "text/plain", "value": text}] if text else []
    if html and not text:
        content = [{"type": "text/html", "value": html}]
    item_id = item.get("id")
    raw: dict[str, Any] = {
        "title": _string(item, "title"),
        "title_detail": {"type": "text/plain"},
        "link": _string(item, "url") or _string(item, "external_url"),
        "id": str(item_id) if isinstance(item_id, str | int) and not isinstance(item_id, bool) else "",
        "guidislink": False,
        "content": content,
        "authors": authors(item),
        "tags": [{"term": str(t)} for t in _list(item, "tags") if isinstance(t, str | int)],
    }
    for key, parsed in (("date_published", "published_parsed"), ("date_modified", "updated_parsed")):
        when = parse_time(item.get(key)) if isinstance(item.get(key), str) else None
        if when is not None:
            raw[parsed] = when.utctimetuple()
    return raw


def _string(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []
