"""The source types, by the name used in `type = "..."`.

Adding one is adding a module that declares it on its family's base (`searchfeed.SearchFeed`,
`searchapi.SearchApi`, `listing.Listing`, `queryfeeds.QueryFeeds`, or `sitesource.SiteSource`
for a kind of its own), and its line below.
"""

from __future__ import annotations

from mentionscan.sources.bing_news import BingNewsSource
from mentionscan.sources.bluesky import BlueskySource
from mentionscan.sources.devto import DevtoSource
from mentionscan.sources.feed import FeedSource
from mentionscan.sources.github import GitHubSource
from mentionscan.sources.google_news import GoogleNewsSource
from mentionscan.sources.hackernews import HackerNewsSource
from mentionscan.sources.interface import Source
from mentionscan.sources.lemmy import LemmySource
from mentionscan.sources.lobsters import LobstersSource
from mentionscan.sources.mastodon import MastodonSource
from mentionscan.sources.medium import MediumSource
from mentionscan.sources.reddit import RedditSource
from mentionscan.sources.rsshub import RssHubSource
from mentionscan.sources.stackexchange import StackExchangeSource
from mentionscan.sources.wordpress import WordPressSource
from mentionscan.sources.youtube import YouTubeSource

SOURCE_TYPES: dict[str, type[Source]] = {
    cls.type: cls
    for cls in (
        FeedSource,
        HackerNewsSource,
        RedditSource,
        GoogleNewsSource,
        BingNewsSource,
        MastodonSource,
        StackExchangeSource,
        GitHubSource,
        DevtoSource,
        LobstersSource,
        LemmySource,
        BlueskySource,
        MediumSource,
        RssHubSource,
        WordPressSource,
        YouTubeSource,
    )
}

__all__ = ["SOURCE_TYPES", "Source"]
