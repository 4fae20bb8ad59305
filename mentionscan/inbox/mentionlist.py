"""The list of mentions: a virtual view that draws only the rows on the screen.

Textual's `DataTable` measures every cell of every row when rows are added (seconds at 10,000
mentions); a `ScrollView` with the line API draws the 20 or 40 visible rows and nothing else,
so 10,000 rows cost what 100 do. A move of the cursor redraws its old line and its new one (all
of them only when the list scrolls), and a row once drawn is kept until its mention changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mentionscan.followup.triage import ago
from mentionscan.inbox.detail import STATUS_STYLE, plain
from mentionscan.models import Mention
from mentionscan.store.interface import sort_time

HEADINGS = ((" ", 2), ("status", 10), ("age", 5), ("source", 13))  # then the title, to the edge


def heading(width: int) -> Text:
    text = Text(style="bold")
    for label, size in HEADINGS:
        text.append(label.ljust(size))
    text.append("title")
    text.truncate(width)
    return text


def row_text(mention: Mention, selected: bool, now: datetime, width: int) -> Text:
    """One mention on one line: selected, status, age, source, title (cut to fit, with …)."""
    style = STATUS_STYLE.get(mention.status, "")
    text = Text(no_wrap=True)
    text.append("● " if selected else "  ", style="bold")
    text.append(mention.status.ljust(10), style=style)
    text.append(ago(sort_time(mention), now).removesuffix(" ago").rjust(4) + " ", style="dim")
    source = plain(mention.source)
    text.append((source if len(source) <= 12 else source[:11] + "…").ljust(13))
    text.append(plain(mention.title) or "(no title)", style=style)
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


class MentionList(ScrollView, can_focus=False):
    """The mentions, one a line, with a cursor; the app's keys move it."""

    COMPONENT_CLASSES = {"mention-list--cursor"}
    DEFAULT_CSS = """
    MentionList { scrollbar-size-vertical: 1; }
    MentionList > .mention-list--cursor { text-style: bold reverse; }
    """
    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)  # two lines, not all

    class Moved(Message):
        """The mouse put the cursor on another mention (the app's keys show it themselves)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Mention] = []
        self.selected: set[str] = set()
        self.now = datetime.now().astimezone()
        self._index: dict[str, int] = {}
        self._base = Style.null()  # the list's own style, as of this frame
        # Each drawn row, by what it shows; the mention itself is kept to tell a saved change.
        self._drawn: LRUCache[tuple[str, bool, bool, int, Style], tuple[Mention, Strip]] = LRUCache(512)

    def show(self, rows: Sequence[Mention], now: datetime, keep: str | None = None) -> None:
        """Show `rows`, the cursor on `keep` if it is among them (else where it was)."""
        self.rows, self.now = list(rows), now
        self._drawn.clear()  # the ages are of another moment
        self._index = {m.id: i for i, m in enumerate(self.rows)}
        self.virtual_size = Size(self.size.width, len(self.rows))
        target = self._index.get(keep, self.cursor) if keep else self.cursor
        self.cursor = max(0, min(target, len(self.rows) - 1))
        self.refresh()

    def index_of(self, mention_id: str) -> int | None:
        return self._index.get(mention_id)

    def replace(self, mention: Mention) -> None:
        """Show the saved version of a mention already in the list."""
        index = self._index.get(mention.id)
        if index is not None:
            self.rows[index] = mention
            self.refresh_line(index)

    @property
    def current(self) -> Mention | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def move(self, by: int) -> None:
        if self.rows:
            self.cursor = max(0, min(self.cursor + by, len(self.rows) - 1))

    def watch_cursor(self, old: int, cursor: int) -> None:
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        if cursor < top:
            self.scroll_to(y=cursor, animate=False)  # a scroll redraws every line
        elif cursor >= top + height:
            self.scroll_to(y=cursor - height + 1, animate=False)
        self.refresh_line(old)
        self.refresh_line(cursor)

    def on_click(self, event: Click) -> None:
        self.cursor = min(event.y + self.scroll_offset.y, max(0, len(self.rows) - 1))
        self.post_message(self.Moved())

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once a frame rather than once a line: it combines the styles of every ancestor.
        self._base = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self._base)
        mention, base = self.rows[index], self._base
        key = (mention.id, mention.id in self.selected, index == self.cursor, width, base)
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] is mention:
            return drawn[1]
        text = row_text(mention, key[1], self.now, width)
        if key[2]:
            base += self.get_component_rich_style("mention-list--cursor")
        segments = [
            Segment(s.text, base + s.style if s.style else base)
            for s in text.render(self.app.console, end="")
        ]
        strip = Strip(segments, width).crop_extend(0, width, Style.null())
        self._drawn[key] = (mention, strip)
        return strip
