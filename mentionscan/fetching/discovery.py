"""Finding the feed behind an address a person gives (`mentionscan add`): the address itself,
the feeds its page advertises, or a feed at one of the usual paths of its site.

Each candidate is fetched and parsed as `fetch` would, so that only real feeds are offered;
at most one request per usual path, with the limits of every request (`http.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

from mentionscan.config.edit import add_source, source_name
from mentionscan.config.model import NAME_PATTERN, Config
from mentionscan.errors import ConfigError, FetchError, MentionscanError
from mentionscan.fetching.http import HttpClient, Response
from mentionscan.sources.discover import COMMON_PATHS, FoundFeed, advertised_feeds
from mentionscan.sources.feedparse import parse_feed
from mentionscan.urls import is_http_url, redact


def find_feeds(client: HttpClient, url: str) -> list[FoundFeed]:
    """The feeds at `url`: [itself] when it is one, else those its page advertises, else the usual paths.

    Raises FetchError when `url` cannot be fetched at all.
    """
    response = client.get(url)
    if (found := _as_feed(response)) is not None:
        return [found]
    if advertised := advertised_feeds(response.body, response.url):
        return advertised
    guessed: list[FoundFeed] = []
    for path in COMMON_PATHS:
        try:
            candidate = client.get(urljoin(response.url, path))
        except MentionscanError:
            continue
        if (feed := _as_feed(candidate)) is not None and all(g.url != feed.url for g in guessed):
            guessed.append(feed)
    return guessed


def _as_feed(response: Response) -> FoundFeed | None:
    try:
        parse_feed(response.body, response.headers, url=response.url, source="add")
    except MentionscanError:
        return None  # a page, an empty answer, a broken document: not a feed to offer
    kind = "JSON Feed" if response.body.lstrip()[:1] in (b"{", b"[") else "RSS or Atom"
    return FoundFeed(response.url, _feed_title(response.body), kind)


def _feed_title(body: bytes) -> str:
    """The feed's own title, for the choice offered (a cheap look, not a parse)."""
    import re

    from mentionscan.text import html_to_text

    found = re.search(rb"<title[^>]*>(.*?)</title>", body[:65536], re.S) or re.search(
        rb'"title"\s*:\s*"([^"]{1,200})"', body[:65536]
    )
    return html_to_text(found.group(1).decode("utf-8", "replace"))[:80] if found else ""


Choose = Callable[[list[FoundFeed]], FoundFeed]


def add_feed(
    config: Config, url: str, *, name: str | None = None, choose: Choose | None = None
) -> tuple[str, FoundFeed, Config]:
    """Add the feed at (or behind) `url` to the config file as a `[[sources]]` table.

    With several feeds, `choose(feeds)` picks one (without it: a ConfigError listing them). The
    name is `name`, else the feed's host. The source's name, the feed, and the config as it is now.
    """
    if not is_http_url(url):
        raise ConfigError(f"{url!r} is not an http:// or https:// URL")
    taken = {s.name for s in config.sources}
    if name is not None and (name in taken or not NAME_PATTERN.match(name)):
        problem = (
            "is taken by another source" if name in taken else "may hold letters, digits, '.', '_', '-' only"
        )
        raise ConfigError(f"--name {name!r} {problem} in {config.path}")
    with HttpClient(config.settings) as client:
        found = find_feeds(client, url)
    if not found:
        raise not_found(url)
    if len(found) == 1:
        feed = found[0]
    elif choose is not None:
        feed = choose(found)
    else:
        listed = "; ".join(f"{n}) {f.describe()}" for n, f in enumerate(found, 1))
        raise ConfigError(f"{redact(url)} has {len(found)} feeds: {listed}; add the one you want by its URL")
    for spec in config.sources:
        if spec.get("url") == feed.url:
            raise ConfigError(f"{feed.url} is already in {config.path} as source {spec.name!r}")
    chosen = name or source_name(feed.url, taken)
    updated = add_source(config.path, {"name": chosen, "type": "feed", "url": feed.url})
    return chosen, feed, updated


def not_found(url: str) -> FetchError:
    paths = ", ".join(COMMON_PATHS)
    return FetchError(
        f"{redact(url)}: no feed found: it is not a feed, its page advertises none "
        f'(<link rel="alternate">), and none of {paths} on its site is one; give the feed\'s own URL'
    )
