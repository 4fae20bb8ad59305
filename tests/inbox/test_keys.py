"""The inbox through Textual's own harness: each key pressed, then the database read back."""

from __future__ import annotations

import pytest

from mentionscan.models import OPEN_STATUSES
from mentionscan.store import open_store
from tests.inbox.tools import HOSTILE, MENTIONS, inbox, mention, screen_text, settle, stored, write_database

pytestmark = pytest.mark.asyncio

FIRST, TODO, MONTH, MOVED, HOSTILE_ID = (m.id for m in MENTIONS)


@pytest.fixture
def config(tmp_path):
    return write_database(tmp_path)


async def test_the_list_is_the_open_mentions_newest_first_and_the_first_is_shown(config):
    app = inbox(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert [m.id for m in app.rows] == [FIRST, TODO, MONTH, HOSTILE_ID]
        shown = screen_text(app)
        assert "Acme broke my build" in shown
        assert "2 mentions from this author; never contacted" in shown
        assert "matched   acme in title: [Acme] broke my build" in shown
        # the matched words are highlighted in the title and the snippet
        highlighted = {app.shown.plain[s.start : s.end] for s in app.shown.spans if s.style == "bold reverse"}
        assert highlighted == {"Acme"}


async def test_every_status_shows_open_ones_first(config):
    app = inbox(config, status=())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        statuses = [m.status for m in app.rows]
        assert statuses == ["new", "todo", "new", "new", "contacted"]
        assert all(s in OPEN_STATUSES for s in statuses[:4])


@pytest.mark.parametrize(
    ("key", "status"),
    [("t", "todo"), ("c", "contacted"), ("r", "replied"), ("x", "resolved"), ("i", "ignored")],
)
async def test_a_status_key_saves_at_once_and_moves_on(config, key, status):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press(key)
        await settle(pilot, app, lambda: stored(config, FIRST).status == status)
        assert stored(config, FIRST).status == status
        assert stored(config, TODO).status == "todo"  # only the one under the cursor
        assert app.current().id == TODO  # the cursor went on to the next
        assert f"Marked {FIRST[:7]} {status}." in screen_text(app)


async def test_undo_puts_back_the_status_and_the_due_date(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("d", *"1w", "enter")
        await settle(pilot, app, lambda: stored(config, FIRST).due is not None)
        await pilot.press("x")
        await settle(pilot, app, lambda: stored(config, FIRST).status == "resolved")
        await pilot.press("u")
        await settle(pilot, app, lambda: stored(config, FIRST).status == "new")
        assert stored(config, FIRST).due is not None
        await pilot.press("u")
        await settle(pilot, app, lambda: stored(config, FIRST).due is None)
        assert stored(config, FIRST).status == "new"
        await pilot.press("u")
        await settle(pilot, app)
        assert "Nothing to undo." in screen_text(app)


async def test_a_note_and_a_due_date_are_saved(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("n", *"asked", "enter")
        await settle(pilot, app, lambda: len(stored(config, FIRST).timeline) == 2)
        assert stored(config, FIRST).timeline[-1].text == "asked"
        assert "note     asked" in screen_text(app)
        await pilot.press("d", *"2d", "enter")
        await settle(pilot, app, lambda: stored(config, FIRST).due is not None)
        assert "Report back on" in screen_text(app)
        await pilot.press("d", *"soon", "enter")  # not a date: said, nothing changed
        await settle(pilot, app)
        assert "Error: 'soon' is not a due date" in screen_text(app)


async def test_escape_cancels_a_note(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("n", *"no", "escape")
        await settle(pilot, app)
        assert len(stored(config, FIRST).timeline) == 1


async def test_space_selects_several_for_one_change(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("space", "j", "space")  # the first and the third
        assert app.selected == {FIRST, MONTH}
        await pilot.press("i")
        await settle(pilot, app, lambda: stored(config, MONTH).status == "ignored")
        assert [stored(config, i).status for i in (FIRST, TODO, MONTH)] == ["ignored", "todo", "ignored"]
        assert app.selected == set()
        await pilot.press("u")  # one undo puts both back
        await settle(pilot, app, lambda: stored(config, MONTH).status == "new")
        assert stored(config, FIRST).status == "new"


async def test_s_cycles_the_status_filter(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("s")  # new
        await settle(pilot, app, lambda: len(app.rows) == 3)
        assert {m.status for m in app.rows} == {"new"}
        await pilot.press("s", "s")  # todo, contacted
        await settle(pilot, app, lambda: [m.id for m in app.rows] == [MOVED])


async def test_search_finds_any_status_and_escape_comes_back(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"moved", "enter")
        await settle(pilot, app, lambda: [m.id for m in app.rows] == [MOVED])
        await pilot.press("escape")
        await settle(pilot, app, lambda: len(app.rows) == 4)


async def test_g_shows_what_a_fetch_stored_meanwhile(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        with open_store(config.parent / "mentions.json") as store:
            store.put(mention(9, "Acme 3.0 is out", hours=1))
            store.save()
        await pilot.press("g")
        await settle(pilot, app, lambda: len(app.rows) == 5)
        assert app.rows[0].title == "Acme 3.0 is out"
        assert app.current().id == FIRST  # the cursor stays on the mention it was on
        assert "1 new since the last refresh." in screen_text(app)


async def test_web_text_is_shown_as_text(config):
    app = inbox(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "j")
        await settle(pilot, app, lambda: app.current().id == HOSTILE_ID)
        title = app.shown.plain.splitlines()[0]
        # the markup is there as typed, the escape sequence gone
        assert title == " ".join(HOSTILE.replace("\x1b[2J", "").split())
        assert all(not s.style or "link" not in str(s.style) for s in app.shown.spans)
        svg = app.export_screenshot()
        assert "[bold red]Acme[/]" in svg.replace("&#160;", " ")
        assert "evil.example" in svg and "<a " not in svg


async def test_a_write_waits_for_a_fetch_and_says_so(config):
    import threading

    app = inbox(config)
    release = threading.Event()
    holding = threading.Event()

    def fetch() -> None:  # what `fetch` does: the database's lock held for the whole run
        with open_store(config.parent / "mentions.json", write=True):
            holding.set()
            release.wait(20)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        thread = threading.Thread(target=fetch)
        thread.start()
        holding.wait(5)
        await pilot.press("t")
        await pilot.pause(1.0)
        assert "saving: the database is busy…" in str(app.query_one("#status").render())
        assert stored(config, FIRST).status == "new"
        assert app.current().id == TODO  # on to the next at once
        await pilot.press("j")  # the screen still answers
        assert app.current().id == MONTH
        assert app.by_id[FIRST].status == "new"  # shown once saved
        release.set()
        thread.join()
        await settle(pilot, app, lambda: stored(config, FIRST).status == "todo")


async def test_a_write_that_waits_too_long_gives_up_and_says_so(tmp_path):
    config = write_database(tmp_path, settings="lock_timeout = 0.5\n")
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        with open_store(config.parent / "mentions.json", write=True):  # a fetch saving a big database
            await pilot.press("t")
            await settle(pilot, app, lambda: "Error:" in screen_text(app))
        assert "is in use by another mentionscan run (waited 0.5 s)" in screen_text(app)
        assert stored(config, FIRST).status == "new"
        assert app.by_id[FIRST].status == "new"  # nothing was shown as done
        await pilot.press("k", "t")  # once the fetch is over, the key works
        await settle(pilot, app, lambda: stored(config, FIRST).status == "todo")


async def test_q_saves_what_was_asked_before_quitting(config):
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("x", "q")
        await pilot.pause(0.5)
    assert stored(config, FIRST).status == "resolved"
    assert app.return_code == 0


async def test_new_mentions_appear_on_their_own(config, monkeypatch):
    monkeypatch.setattr("mentionscan.inbox.app.REFRESH_SECONDS", 0.5)  # a minute, in the app
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        with open_store(config.parent / "mentions.json") as store:
            store.put(mention(9, "Acme 3.0 is out", hours=1))
            store.save()
        await settle(pilot, app, lambda: len(app.rows) == 5)


async def test_no_color_draws_in_shades_of_grey(config, monkeypatch):
    import re

    # The screenshot's window (its three buttons) and the export's default text colour.
    frame = {"#ff5f57", "#febc2e", "#28c840", "#c5c8c6"}

    def colours(svg: str) -> set[str]:
        return {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", svg)} - frame

    def grey(colour: str) -> bool:
        return colour[1:3] == colour[3:5] == colour[5:7]

    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        coloured = colours(app.export_screenshot())
    monkeypatch.setenv("NO_COLOR", "1")
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        plain = colours(app.export_screenshot())
    assert not all(grey(c) for c in coloured)  # the check can fail: in colour, there are colours
    assert all(grey(c) for c in plain), sorted(c for c in plain if not grey(c))


async def test_a_related_discussion_is_shown_even_when_the_list_does_not_hold_it(tmp_path):
    page = mention(1, "Acme broke my build", hours=2, related=(MOVED,))
    config = write_database(tmp_path, [page, *MENTIONS[1:]])
    app = inbox(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: "We moved off Acme" in app.shown.plain)
        assert f"related   {MOVED[:7]} contacted We moved off Acme" in app.shown.plain


async def test_a_long_list_is_on_the_screen_from_its_first_page_then_whole(tmp_path):
    import asyncio
    import threading

    from textual.widgets import Static

    from mentionscan.inbox.app import Inbox
    from mentionscan.inbox.session import Session
    from mentionscan.workspace import Workspace
    from tests.inbox.tools import NOW

    many = [mention(n, f"Acme story {n}", hours=n, id=f"{n:012x}") for n in range(1, 261)]
    config = write_database(tmp_path, many)
    release = threading.Event()

    class SlowRead(Session):  # the whole list takes its time, as 10,000 mentions do
        def load(self):
            release.wait(20)
            return super().load()

    ws = Workspace.open(config)
    app = Inbox(SlowRead(ws, ws.filter(status=("new", "todo"))), now=lambda: NOW)

    def top() -> str:
        return str(app.query_one("#top", Static).render())

    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):
            if app.loaded.is_set():
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert [m.id for m in app.rows] == [m.id for m in many[:200]]  # the newest, before the rest
        assert "200+ mentions" in top()
        await pilot.press("j")
        assert app.current().id == many[1].id
        release.set()
        await settle(pilot, app)
        assert [m.id for m in app.rows] == [m.id for m in many]
        assert app.current().id == many[1].id  # where the cursor was
        assert "260 mentions" in top()
