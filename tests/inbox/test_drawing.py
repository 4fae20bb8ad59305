"""What a key press draws: the two list lines it changed and the mention it lands on, in one frame.

A press that laid the whole screen out again, redrew every row of the list or built the next
mention's pane while the user waited took 80 to 300 ms at 10,000 mentions (`bench/inbox.py`
measures the time; these tests check the work each press does, which does not depend on the machine).
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import pytest

from mentionscan.inbox.detailview import MentionDetail
from mentionscan.inbox.mentionlist import MentionList
from tests.inbox.tools import MENTIONS, inbox, mention, screen_text, settle, write_database

pytestmark = pytest.mark.asyncio

MANY = [mention(n, f"Acme post {n}", hours=n, id=f"{n:012x}") for n in range(1, 80)]


def counting(counts: Counter[str], name: str, call: Any) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return call(*args, **kwargs)

    return counted


async def test_j_redraws_two_rows_and_the_pane_and_lays_nothing_out(tmp_path):
    app = inbox(write_database(tmp_path, MANY))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: bool(app.histories))
        await pilot.press("j", "k")  # the panes built before the histories came are built again
        await settle(pilot, app)
        counts: Counter[str] = Counter()
        listing = app.query_one(MentionList)
        listing.render_line = counting(counts, "rows", listing.render_line)  # type: ignore[method-assign]
        screen = app.screen
        screen._refresh_layout = counting(counts, "layouts", screen._refresh_layout)  # type: ignore[method-assign]
        for _ in range(5):
            await pilot.press("j")
            await pilot.pause()
        assert getattr(app.current(), "id", "") == MANY[5].id and "Acme post 6" in screen_text(app)
        assert counts["layouts"] == 0
        assert counts["rows"] <= 2 * 5  # the line the cursor left and the one it came to


async def test_the_list_scrolls_with_the_cursor_and_the_pane_follows(tmp_path):
    app = inbox(write_database(tmp_path, MANY))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for _ in range(30):
            await pilot.press("j")
        await pilot.pause()
        listing = app.query_one(MentionList)
        assert listing.scroll_offset.y > 0
        visible = listing.scroll_offset.y <= listing.cursor < listing.scroll_offset.y + listing.size.height
        assert visible and getattr(app.current(), "id", "") == MANY[30].id
        assert "Acme post 31" in screen_text(app)


async def test_a_saved_change_is_drawn_again_not_kept(tmp_path):
    config = write_database(tmp_path)
    app = inbox(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "k")  # the first mention's pane is built and kept
        await settle(pilot, app)
        await pilot.press("t", "k")
        await settle(pilot, app, lambda: getattr(app.current(), "status", "") == "todo")
        pane = app.query_one(MentionDetail)
        current = app.current()
        assert current is not None and current.status == "todo"
        assert app.shown.plain.splitlines()[1].startswith("todo")
        assert pane.text is app.shown


async def test_what_was_read_is_kept_out_of_full_collections_while_the_inbox_runs(tmp_path):
    app = inbox(write_database(tmp_path, MENTIONS))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app, lambda: bool(app.histories))
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
