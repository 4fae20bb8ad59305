"""Each mention's pane as rich `Text`, built once for what it shows and kept for the next time.

Building it asks the configured queries which words matched (a matcher per query) and lays out
a dozen fields; a key press that lands on a mention already built costs nothing of that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.cache import LRUCache

from mentionscan.inbox import detail
from mentionscan.models import Mention
from mentionscan.store.interface import AuthorStats

if TYPE_CHECKING:
    from mentionscan.matching.explain import Explanation

KEPT = 256  # mentions: a few screenfuls up and down


class Drawings:
    """The panes built so far, by mention id, each with what it was built from."""

    def __init__(self, explain: Callable[[Mention], list[Explanation]]) -> None:
        self._explain = explain
        self._explained: dict[str, list[Explanation]] = {}
        self._built: LRUCache[str, tuple[tuple[object, ...], Text]] = LRUCache(KEPT)

    def clear(self) -> None:
        """Forget them all (a refresh: a fetch may have merged new text into a mention)."""
        self._explained.clear()
        self._built.clear()

    def of(
        self, mention: Mention, history: AuthorStats | None, related: Sequence[Mention | str], now: datetime
    ) -> Text:
        """The pane of `mention`: the one kept while none of what it shows changed (ages: to the minute)."""
        if (explained := self._explained.get(mention.id)) is None:
            explained = self._explained[mention.id] = self._explain(mention)
        shows = (mention, history, now.replace(second=0, microsecond=0), *related)
        kept = self._built.get(mention.id)
        if kept is not None and len(kept[0]) == len(shows) and all(map(_same, kept[0], shows)):
            return kept[1]
        text = detail.render(mention, history, explained, related, now)
        self._built[mention.id] = (shows, text)
        return text


def _same(a: object, b: object) -> bool:
    return a is b or a == b
