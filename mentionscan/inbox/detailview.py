"""The selected mention's pane: its text drawn once into lines, and only the lines shown copied out.

A `Static` in a scrolling container measures its text to lay the screen out, then draws it
again, and each new mention laid the whole screen out anew. Here the text becomes lines once
(again only when the pane's width changes), its height is the pane's virtual size, and a move
to another mention redraws this pane alone.
"""

from __future__ import annotations

from rich.text import Text
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual, visualize


class MentionDetail(ScrollView, can_focus=False):
    """A `Text`, wrapped to the pane's width, scrolled by the app's keys and the mouse."""

    DEFAULT_CSS = "MentionDetail { scrollbar-size-vertical: 1; }"

    def __init__(self, text: Text, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self._lines: list[Strip] = []
        self._width = -1  # the width the lines were drawn for
        # Texts drawn (the one shown, and those `prepare` drew ahead), by identity and width.
        self._drawn: LRUCache[tuple[int, int], tuple[Text, list[Strip]]] = LRUCache(16)

    def show(self, text: Text, *, top: bool) -> None:
        """Show `text` (`top`: from its first line, as for another mention)."""
        self.text = text
        self._draw()
        if top:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def prepare(self, text: Text) -> None:
        """Draw `text` now, so that showing it later costs nothing."""
        if (width := self.scrollable_content_region.width) > 0:
            self._lines_of(text, width)

    def _lines_of(self, text: Text, width: int) -> list[Strip]:
        drawn = self._drawn.get((id(text), width))
        if drawn is not None and drawn[0] is text:
            return drawn[1]
        visual = visualize(self, text)
        strips, style = Visual.to_strips(self, visual, width, None, self.visual_style), self.rich_style
        lines = [line.extend_cell_length(width, style).crop(0, width) for line in strips]
        self._drawn[(id(text), width)] = (text, lines)
        return lines

    def _draw(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        self._lines, self._width = self._lines_of(self.text, width), width
        self.virtual_size = Size(width, len(self._lines))

    def on_resize(self, event: Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._draw()
            self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.scrollable_content_region.width != self._width:  # the scroll bar came or went
            self._draw()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        if not 0 <= index < len(self._lines):
            return Strip.blank(self.scrollable_content_region.width, self.rich_style)
        return self._lines[index]
