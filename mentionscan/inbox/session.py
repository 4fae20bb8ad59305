"""What the inbox's keys do, through the `Workspace` only: each call is one read or one saved change.

Nothing here knows about the screen. The app runs these calls off its event loop (a file store
opened for writing waits while a fetch saves) and shows a change once it is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import TYPE_CHECKING

from mentionscan.errors import MentionscanError
from mentionscan.models import OPEN_STATUSES, STATUSES, Mention
from mentionscan.store.interface import AuthorStats, MentionFilter, sort_time
from mentionscan.timeutil import to_iso
from mentionscan.workspace import Workspace

if TYPE_CHECKING:  # what the first screen does not need is imported when a key asks for it
    from mentionscan.followup.contact import Found
    from mentionscan.followup.reply import Draft
    from mentionscan.matching.explain import Explanation

# What `s` steps through: the open ones (as `list` shows), each status alone, then all of them.
VIEWS: tuple[tuple[str, ...], ...] = (OPEN_STATUSES, *((s,) for s in STATUSES), ())
FIRST_PAGE = 200  # mentions shown before the whole list is read: more than any screen holds


def view_name(statuses: Sequence[str]) -> str:
    if tuple(statuses) == OPEN_STATUSES:
        return "open (new, todo)"
    return ", ".join(statuses) if statuses else "every status"


@dataclass
class Session:
    """The inbox's state: the filters, what is shown, what can be undone."""

    workspace: Workspace
    selection: MentionFilter  # the command line's filters (statuses: `list`'s default)
    words: str = ""  # a search (`/`): every status, the filters aside
    undo_stack: list[list[Mention]] = field(default_factory=list)  # each: the mentions before a change
    _ahead: Future[list[Mention] | None] | None = field(default=None, init=False, repr=False)

    @property
    def statuses(self) -> tuple[str, ...]:
        return self.selection.statuses

    def title(self) -> str:
        return f'search "{self.words}"' if self.words else view_name(self.statuses)

    def next_view(self) -> None:
        """`s`: the next status filter (leaving a search)."""
        index = VIEWS.index(self.statuses) + 1 if self.statuses in VIEWS else 0
        self.selection = replace(self.selection, statuses=VIEWS[index % len(VIEWS)])
        self.words = ""

    def read_ahead(self) -> Future[list[Mention] | None] | None:
        """Start reading the first page now, on another core where it can (`ahead.py`); `first_page`
        gives it. Started before Textual is imported: the screen gets ready meanwhile, and shows
        the list in its first frame instead of drawing "Loading…" first. None when the list has
        no first page to read apart (it is read whole, once shown)."""
        if self._page() is None:
            return None
        from mentionscan.inbox.ahead import read_ahead

        self._ahead = read_ahead(self._first_page)
        return self._ahead

    def page_read(self, wait: float) -> bool:
        """Whether the first page read ahead is in (or failed), waiting up to `wait` seconds for it."""
        if self._ahead is None:
            return False
        try:
            self._ahead.exception(timeout=wait)
        except TimeoutError:
            return False
        return True

    def first_page(self) -> list[Mention] | None:
        """The top of the list, read at once (a screenful and more): None when it must be read whole.

        The store reads the newest first under a limit without reading the rest, which is the
        inbox's own order while only open mentions are shown.
        """
        ahead, self._ahead = self._ahead, None
        return ahead.result() if ahead is not None else self._first_page()

    def _first_page(self) -> list[Mention] | None:
        page = self._page()
        return None if page is None else list(self.workspace.mentions(page))

    def _page(self) -> MentionFilter | None:
        """What the first page holds, or None when the list must be read whole to be in order."""
        limit = self.selection.limit
        if self.words or not self.statuses or not set(self.statuses) <= set(OPEN_STATUSES):
            return None
        if limit is not None and limit <= FIRST_PAGE:
            return None
        return replace(self.selection, limit=FIRST_PAGE)

    def load(self) -> list[Mention]:
        """What the inbox lists: open mentions first, newest first."""
        if self.words:
            found = self.workspace.search(self.words, limit=self.selection.limit)
        else:
            found = list(self.workspace.mentions(self.selection))
        found.sort(key=sort_time, reverse=True)  # the store's order, kept when the key ties below
        found.sort(key=lambda m: m.status not in OPEN_STATUSES)
        return found

    def others(self, ids: Sequence[str]) -> list[Mention]:
        """The stored mentions of these ids (a related discussion the list does not show)."""
        return list(self.workspace.mentions(MentionFilter(ids=tuple(ids))))

    def histories(self, mentions: Sequence[Mention]) -> dict[str, AuthorStats]:
        return self.workspace.histories(mentions)

    def mark(self, ids: Sequence[str], status: str) -> list[Mention]:
        """Set `status` on `ids` (one saved change); the mentions as they are now."""
        changes = self.workspace.mark(status, ids)
        changed = [c.before for c in changes if c.before != c.after]
        if changed:
            self.undo_stack.append(changed)
        return [c.after for c in changes]

    def set_due(self, mention_id: str, text: str) -> Mention:
        before = self.workspace.get(mention_id)
        after = self.workspace.set_due(mention_id, text)
        if after != before:
            self.undo_stack.append([before])
        return after

    def undo(self) -> list[Mention]:
        """Put back the status and due date the last change replaced; [] when there is nothing to undo."""
        if not self.undo_stack:
            return []
        befores = self.undo_stack.pop()
        restored: list[Mention] = []
        try:
            for before in befores:
                due = to_iso(before.due) or "none"
                restored += [c.after for c in self.workspace.mark(before.status, [before.id], due=due)]
        except MentionscanError:
            self.undo_stack.append(befores)  # still undoable once the database can be written
            raise
        return restored

    def note(self, mention_id: str, text: str) -> Mention:
        return self.workspace.note(mention_id, text)

    def draft(self, mention_id: str) -> Draft:
        return self.workspace.draft_reply(mention_id)

    def answer(self, mention_id: str, message: EmailMessage, *, send: bool) -> tuple[Mention, str]:
        return self.workspace.answer(mention_id, message, send=send)

    def answer_or_keep(self, mention_id: str, message: EmailMessage, *, send: bool) -> tuple[Mention, str]:
        """`answer`; a send that fails keeps the reply as .eml (what the user wrote is never lost)."""
        from mentionscan.delivery.replies import keep_reply

        try:
            return self.answer(mention_id, message, send=send)
        except MentionscanError as error:
            if not send:
                raise
            kept = keep_reply(self.workspace.database, self.workspace.get(mention_id), message)
            raise type(error)(f"{error}; the reply is kept in {kept} (not marked contacted)") from error

    def can_send(self) -> str:
        """Why a reply cannot be sent from here ("" when it can): no config, or no [email] table."""
        try:
            config = self.workspace.config
        except MentionscanError as error:
            return f"no config to send with ({error})"
        return "" if config.email is not None else "no [email] table in the config"

    def contact(self, mention_id: str) -> tuple[Mention, Found]:
        return self.workspace.find_contact(mention_id)

    def explanations(self, mention: Mention) -> list[Explanation]:
        """Which configured query matched which words (none without a config: `--db` alone)."""
        from mentionscan.matching.explain import explain

        try:
            queries = self.workspace.config.queries
        except MentionscanError:
            return []
        return explain(mention, queries)
