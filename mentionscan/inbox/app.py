"""The inbox's Textual application: the list, the selected mention, the footer, the keys.

Every read and every change of the database runs on one worker thread, in the order the keys
were pressed, so the screen never waits for the disk (or for a fetch saving), and a
change is shown only once it is saved.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import webbrowser
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.widgets import Footer, Static

from mentionscan.errors import MentionscanError
from mentionscan.inbox import collector, detail
from mentionscan.inbox.bars import WAITING_AFTER, status_bar, top_bar
from mentionscan.inbox.detailview import MentionDetail
from mentionscan.inbox.dialogs import Ask, Help
from mentionscan.inbox.drawings import Drawings
from mentionscan.inbox.keys import KEYS
from mentionscan.inbox.mentionlist import MentionList, heading
from mentionscan.inbox.replying import ReplyKeys
from mentionscan.inbox.session import FIRST_PAGE, Session
from mentionscan.inbox.style import CSS
from mentionscan.inbox.worker import Worker
from mentionscan.models import Mention
from mentionscan.store.interface import AuthorStats
from mentionscan.timeutil import utcnow

REFRESH_SECONDS = 60
SAVING = "saving: the database is busy"  # shown when a save takes long
NARROW = 110  # below this width the mention is shown under the list, not beside it
FIRST_FRAME_WAIT = 0.5  # for the page read ahead: a "Loading…" frame would only slow the reading


class Inbox(ReplyKeys):
    """`mentionscan inbox`."""

    TITLE = "mentionscan inbox"
    ENABLE_COMMAND_PALETTE = False  # every action has its key; ctrl+p would only hide them
    CSS = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.keys, k.action, k.label, show=k.footer) for k in KEYS),
    ]

    def __init__(self, session: Session, *, now: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self.session = session
        self.now = now
        self.rows: list[Mention] = []
        self.by_id: dict[str, Mention] = {}
        self.histories: dict[str, AuthorStats] = {}
        self.selected: set[str] = set()
        self.error: MentionscanError | None = None  # the first load's: the command prints it
        self.loaded = threading.Event()  # the list is on the screen (tests and the benchmark wait on it)
        self.complete = False  # the list holds every mention it shows, not only the first page
        self.worker = Worker(self.call_from_thread, self._failed, self._status)
        self._spin = 0
        self._message: Text = Text()
        self.shown = Text()  # the selected mention as drawn
        self._shown_id: str | None = None
        self._others: dict[str, Mention | str] = {}  # related mentions not in the list ("": asked)
        self.drawings = Drawings(session.explanations)

    # Layout

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        with Container(id="panes"):
            with Container(id="left"):
                yield Static(id="heading")
                yield MentionList(id="list")
            yield MentionDetail(Text("Loading…", style="dim"), id="detail")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.worker.start()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        self.set_interval(0.2, self._tick)
        self._layout()
        self._top()
        self.action_refresh(first=True)

    def on_unmount(self) -> None:
        collector.resume()
        gc.unfreeze()  # a script (or a test) that goes on after the inbox collects as before

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        self.query_one("#panes").set_class(self.size.width < NARROW, "narrow")
        self.call_after_refresh(self._heading)

    def _heading(self) -> None:
        listing = self.query_one(MentionList)
        self.query_one("#heading", Static).update(heading(listing.scrollable_content_region.width))

    def _fill(self, keep: str | None) -> None:
        listing = self.query_one(MentionList)
        listing.selected = self.selected
        listing.show(self.rows, self.now(), keep)
        self._show_current()
        collector.resume()  # the list is on the screen (`inbox.start` paused it)

    def _top(self) -> None:
        count = len(self.rows) if self.loaded.is_set() else None
        bar = top_bar(self.session.title(), count, self.complete, len(self.selected))
        self.query_one("#top", Static).update(bar)

    def say(self, message: str, style: str = "") -> None:
        self._message = Text(message, style=style)
        self._status()

    def _status(self) -> None:
        self.query_one("#status", Static).update(status_bar(self.worker, self._spin, self._message))

    def _tick(self) -> None:
        self._spin += 1
        if self.worker.busy_since is not None:
            self._status()

    # The selected mention

    def _current_id(self) -> str | None:
        mention = self.current()
        return mention.id if mention else None

    def current(self) -> Mention | None:
        mention = self.query_one(MentionList).current
        return self.by_id.get(mention.id, mention) if mention else None

    def on_mention_list_moved(self, event: MentionList.Moved) -> None:
        self._show_current()

    def _show_current(self) -> None:
        pane = self.query_one(MentionDetail)
        mention = self.current()
        if mention is None:
            empty = "Nothing here. s: another status, g: refresh, q: quit."
            pane.show(Text("Loading…" if not self.loaded.is_set() else empty, style="dim"), top=True)
            self._shown_id = None
            return
        related = self._related(mention)
        if missing := [i for i in related if isinstance(i, str) and i not in self._others]:
            self._others.update(dict.fromkeys(missing, ""))  # asked once

            def found(others: list[Mention]) -> None:
                self._others.update({m.id: m for m in others})
                self._show_current()

            self.run_db("reading the related mentions", partial(self.session.others, missing), found)
        self.shown = self.drawings.of(mention, self.histories.get(mention.id), related, self.now())
        pane.show(self.shown, top=mention.id != self._shown_id)
        self._shown_id = mention.id
        self.call_after_refresh(self._draw_neighbours)

    def _related(self, mention: Mention) -> list[Mention | str]:
        return [self.by_id.get(i) or self._others.get(i) or i for i in mention.related]

    def _draw_neighbours(self) -> None:
        """Once the frame is on the screen: the mentions either side, ready for the next key."""
        listing, pane, now = self.query_one(MentionList), self.query_one(MentionDetail), self.now()
        for index in (listing.cursor + 1, listing.cursor - 1):
            if 0 <= index < len(listing.rows):
                mention = self.by_id.get(listing.rows[index].id, listing.rows[index])
                pane.prepare(
                    self.drawings.of(mention, self.histories.get(mention.id), self._related(mention), now)
                )

    def _replace(self, mentions: list[Mention]) -> None:
        """Show these saved versions in place."""
        listing = self.query_one(MentionList)
        for mention in mentions:
            if mention.id in self.by_id:
                self.by_id[mention.id] = mention
                listing.replace(mention)
        self.rows = listing.rows
        self._show_current()

    # The database, one call at a time, off the event loop

    def run_db(
        self, what: str, call: Callable[[], Any], done: Callable[[Any], None], *, thread: bool = False
    ) -> None:
        """Run `call` on the database thread (`thread`: a thread of its own, for the network), then
        `done(result)` on the screen; a mentionscan error becomes the status line."""
        self.worker.run(what, call, done, own_thread=thread)

    def _failed(self, error: MentionscanError) -> None:
        if not self.loaded.is_set():
            self.error = error
            self.exit(return_code=int(error.exit_code))
            return
        self.say(f"Error: {error}", "bold red")

    # Keys

    def action_down(self) -> None:
        self._move(1)

    def action_up(self) -> None:
        self._move(-1)

    def action_page(self, pages: int) -> None:
        self._move(pages * max(1, self.query_one(MentionList).scrollable_content_region.height - 1))

    def _move(self, by: int) -> None:
        """The cursor and the mention it lands on, drawn in the same frame."""
        listing = self.query_one(MentionList)
        before = listing.cursor
        listing.move(by)
        if listing.cursor != before:
            self._show_current()

    def action_refresh(self, first: bool = False) -> None:
        session = self.session

        def show(mentions: list[Mention]) -> None:
            keep = self._current_id()
            fresh = {m.id for m in mentions} - set(self.by_id)
            self.rows, self.by_id = mentions, {m.id: m for m in mentions}
            self.drawings.clear()  # a fetch may have merged new text into a mention
            self._others.clear()
            self.selected &= set(self.by_id)
            was_loaded = self.loaded.is_set()
            self.complete = True
            self.loaded.set()
            self._fill(keep)
            self._top()
            if was_loaded and not first:
                self.say(f"{len(fresh)} new since the last refresh." if fresh else "Nothing new.")
            # The authors' histories read every stored mention: the list does not wait for them.
            self.run_db("reading the authors' histories", lambda: session.histories(mentions), histories)

        def show_first(page: list[Mention] | None) -> None:
            if page is not None and len(page) < FIRST_PAGE:  # all there is
                show(page)
                return
            if page is not None:  # a screenful at once; the whole list (10,000 take a second) next
                self.rows, self.by_id, self.complete = page, {m.id: m for m in page}, False
                self.loaded.set()
                self._fill(None)
                self._top()
            self.run_db("reading the database", session.load, show)

        def histories(found: dict[str, AuthorStats]) -> None:
            self.histories = found
            self._show_current()
            # What is read stays until the next refresh: a full collection would walk it again (0.1 s
            # at 10,000, on a key press). A list read later is freed as it is replaced, frozen or not.
            gc.freeze()

        if not first:
            self.run_db("reading the database", session.load, show)
        elif session.page_read(FIRST_FRAME_WAIT):  # read while Textual started: in the first frame
            self.worker.run_here(session.first_page, show_first)
        else:
            self.run_db("reading the database", session.first_page, show_first)

    def _chosen(self) -> list[str]:
        if self.selected:
            return [m.id for m in self.rows if m.id in self.selected]
        current = self._current_id()
        return [current] if current else []

    def action_mark(self, status: str) -> None:
        ids = self._chosen()
        if not ids:
            return
        bulk = bool(self.selected)

        def done(changed: list[Mention]) -> None:
            if bulk:
                self.selected.clear()
            self._replace(changed)
            self._top()
            what = f"{len(changed)} mentions" if bulk else changed[0].id[:7] if changed else ""
            self.say(f"Marked {what} {status}. u: undo" if changed else "Nothing changed.")

        self.run_db(SAVING, lambda: self.session.mark(ids, status), done)
        if not bulk:
            self.action_down()  # on to the next at once, as in mutt: the save goes on meanwhile

    def action_undo(self) -> None:
        def done(restored: list[Mention]) -> None:
            self._replace(restored)
            self._top()
            if restored:
                self.say(f"Undone: {', '.join(f'{m.id[:7]} {m.status}' for m in restored[:5])}.")
            else:
                self.say("Nothing to undo.")

        self.run_db(SAVING, self.session.undo, done)

    def action_select(self) -> None:
        mention = self.current()
        if mention is None:
            return
        self.selected ^= {mention.id}
        self._replace([mention])
        self.action_down()
        self._top()

    def _ask_and_save(
        self, ask: Ask, change: Callable[[str, str], Mention], said: Callable[[Mention], str]
    ) -> None:
        """Ask one line about the current mention, then save `change(id, answer)` (Escape: nothing)."""
        mention = self.current()
        if mention is None:
            return

        def answered(text: str | None) -> None:
            if text and text.strip():
                self.run_db(SAVING, lambda: change(mention.id, text.strip()), done)

        def done(changed: Mention) -> None:
            self._replace([changed])
            self.say(said(changed))

        self.push_screen(ask, answered)

    def action_note(self) -> None:
        self._ask_and_save(Ask("Note (one line):"), self.session.note, lambda m: f"Noted on {m.id[:7]}.")

    def action_due(self) -> None:
        ask = Ask("Report back by:", "today, tomorrow, friday, 3d, 1w, 2026-06-01, none")
        self._ask_and_save(ask, self.session.set_due, detail.due_said)

    def action_contact(self) -> None:
        mention = self.current()
        if mention is None:
            return

        def found(result: tuple[Mention, Any]) -> None:
            changed, result_found = result
            self._replace([changed])
            email = changed.author_email
            count = len(result_found.pages)
            pages = f"{count} request" + ("" if count == 1 else "s")
            self.say(f"Author's email: {email} ({pages})" if email else f"No email found ({pages}).")

        self.say("")
        self.run_db("looking for the author", lambda: self.session.contact(mention.id), found, thread=True)
        self.worker.busy_since = time.monotonic() - WAITING_AFTER  # the spinner at once: it takes a while

    def action_search(self) -> None:
        def search(text: str | None) -> None:
            if text is not None and text.strip():
                self.session.words = text.strip()
                self.action_refresh()

        self.push_screen(Ask("Search every stored mention for:", value=self.session.words), search)

    def action_leave(self) -> None:
        if self.session.words:
            self.session.words = ""
            self.action_refresh()
        elif self.selected:
            self.selected.clear()
            self._fill(self._current_id())
            self._top()

    def action_cycle_status(self) -> None:
        self.session.next_view()
        self.selected.clear()
        self._top()
        self.action_refresh()

    def action_open(self) -> None:
        mention = self.current()
        if mention is None:
            return
        url = mention.url
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        self.say(f"Opened {detail.plain(url)}")

    def action_help(self) -> None:
        self.push_screen(Help())

    async def action_quit(self) -> None:
        self.worker.stop()  # what was asked before `q` is saved first
        while not self.worker.idle:
            self.say(f"Quitting once this is done: {self.worker.busy_what or 'saving'}.")
            await asyncio.sleep(0.05)
        self.exit()
