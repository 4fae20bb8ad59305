"""The source types, by the name used in `type = "..."`.

Adding one is adding a module that declares it on its family's base (`searchfeed.SearchFeed`,
`searchapi.SearchApi`, `listing.Listing`, `queryfeeds.QueryFeeds`, or `sitesource.SiteSource`
for a kind of its own), and its line below.

A type's module is imported when the type is first looked up: reading a config imports the
types it uses, so `list` on a config of feeds never pays for the search sources' modules
(the query translators, the parsers they bring).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module

from mentionscan.sources.interface import Source

# type name -> the module and class that declare it, in the order `sources` lists them
_DECLARED = {
    "feed": ("feed", "FeedSource"),
    "hackernews": ("hackernews", "HackerNewsSource"),
    "reddit": ("reddit", "RedditSource"),
    "google_news": ("google_news", "GoogleNewsSource"),
    "bing_news": ("bing_news", "BingNewsSource"),
    "mastodon": ("mastodon", "MastodonSource"),
    "stackexchange": ("stackexchange", "StackExchangeSource"),
    "github": ("github", "GitHubSource"),
    "devto": ("devto", "DevtoSource"),
    "lobsters": ("lobsters", "LobstersSource"),
    "lemmy": ("lemmy", "LemmySource"),
    "bluesky": ("bluesky", "BlueskySource"),
    "medium": ("medium", "MediumSource"),
    "rsshub": ("rsshub", "RssHubSource"),
    "wordpress": ("wordpress", "WordPressSource"),
    "youtube": ("youtube", "YouTubeSource"),
}


class SourceTypes(MutableMapping[str, type[Source]]):
    """`type` name -> its class, each imported on first use (tests may add a type of their own)."""

    def __init__(self, declared: dict[str, tuple[str, str]]) -> None:
        self._declared = dict(declared)
        self._loaded: dict[str, type[Source]] = {}

    def __getitem__(self, name: str) -> type[Source]:
        found = self._loaded.get(name)
        if found is None:
            module, attribute = self._declared[name]  # KeyError: no such type
            found = self._loaded[name] = getattr(import_module(f"{__name__}.{module}"), attribute)
            assert found.type == name, (name, found)
        return found

    def __setitem__(self, name: str, cls: type[Source]) -> None:
        self._loaded[name] = cls
        self._declared.setdefault(name, ("", ""))

    def __delitem__(self, name: str) -> None:
        del self._declared[name]
        self._loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)


SOURCE_TYPES = SourceTypes(_DECLARED)

__all__ = ["SOURCE_TYPES", "Source", "SourceTypes"]
