"""Google Alerts delivered to a feed: a `feed` source whose URL is `google.com/alerts/feeds/...`.

Its entries need three things a plain feed does not: the `<b>` Google puts around the words it
matched is markup (the HTML title is reduced to text like any other), each link is a
`google.com/url?...&url=` redirect (unwrapped to the article, which `site:` and the reader see),
and there is no byline, so the publisher's host is the author.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mentionscan.models import Entry
from mentionscan.urlrules import unwrap
from mentionscan.urls import host_of

_ALERTS = re.compile(r"^https?://(?:www\.)?google\.[a-z.]{2,6}/alerts/feeds/", re.I)


def is_alerts_feed(url: str) -> bool:
    """Whether `url` is the feed of a Google Alert."""
    return bool(_ALERTS.match(url.strip()))


def alert_entry(entry: Entry, raw: Mapping[str, Any]) -> Entry | None:
    """One alert as the article it points at: its address, and its publisher as the author."""
    url = unwrap(entry.url)
    return replace(entry, url=url, author=entry.author or host_of(url) or None)
