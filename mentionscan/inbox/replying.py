"""`R` in the inbox: the draft (the template of `reply`), $EDITOR on it, then send it or keep it."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App

from mentionscan.models import Mention

if TYPE_CHECKING:  # imported on the first `R`: the first screen does without them
    from mentionscan.followup.reply import Draft
    from mentionscan.inbox.session import Session


class ReplyKeys(App[None]):
    """The reply's steps, for the inbox's app (which has what is declared here)."""

    if TYPE_CHECKING:
        session: Session

        def current(self) -> Mention | None: ...

        def say(self, message: str, style: str = "") -> None: ...

        def _replace(self, mentions: list[Mention]) -> None: ...

        def run_db(
            self, what: str, call: Callable[[], Any], done: Callable[[Any], None], *, thread: bool = False
        ) -> None: ...

    def action_reply(self) -> None:
        mention = self.current()
        if mention is None:
            return
        self.run_db("writing the draft", lambda: self.session.draft(mention.id), self._edit)

    def _edit(self, draft: Draft) -> None:
        from mentionscan.inbox.dialogs import SendOrKeep
        from mentionscan.inbox.editing import edit_draft

        message = edit_draft(draft, self.suspend)
        if isinstance(message, str):
            self.say(message, "bold red" if message.startswith("Error") else "")
            return
        why_not = self.session.can_send()

        def chosen(choice: str | None) -> None:
            if choice is None:
                self.say("Reply cancelled: nothing sent or saved.")
            else:
                self._answer(draft.mention.id, message, send=choice == "send")

        self.push_screen(SendOrKeep(message, why_not), chosen)

    def _answer(self, mention_id: str, message: EmailMessage, *, send: bool) -> None:
        def done(result: tuple[Mention, str]) -> None:
            changed, where = result
            self._replace([changed])
            self.say(f"Reply {where}; marked {changed.id[:7]} contacted.")

        answer = partial(self.session.answer_or_keep, mention_id, message, send=send)
        self.run_db("sending the reply" if send else "saving the reply", answer, done, thread=send)
