"""The source types, by the name used in `type = "..."`. Adding one is adding a module here."""

from __future__ import annotations

from mentionscan.sources.base import Source
from mentionscan.sources.feed import FeedSource

SOURCE_TYPES: dict[str, type[Source]] = {cls.type: cls for cls in (FeedSource,)}

__all__ = ["SOURCE_TYPES", "Source"]
