"""The inbox's small screens: a one-line question, the send-or-keep choice, the key help."""

from __future__ import annotations

from email.message import EmailMessage

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from mentionscan.inbox.detail import plain
from mentionscan.inbox.keys import table


class Ask(ModalScreen[str | None]):
    """One line of input: Enter gives it, Escape gives None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def __init__(self, question: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.question, self.placeholder, self.value = question, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            yield Input(value=self.value, placeholder=self.placeholder)
            yield Static(Text("Enter: done   Escape: cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class SendOrKeep(ModalScreen[str | None]):
    """After the editor: `y` send (when it can be sent), `k` keep as .eml, Escape cancel."""

    BINDINGS = [
        Binding("y", "choose('send')", "send"),
        Binding("k", "choose('keep')", "keep as .eml"),
        Binding("escape,n", "dismiss(None)", "cancel"),
    ]

    def __init__(self, message: EmailMessage, why_not: str) -> None:
        """`why_not`: why it cannot be sent from here ("" when it can; no To: is a reason too)."""
        super().__init__()
        self.to, self.subject = plain(message.get("To", "")), plain(message.get("Subject", ""))
        self.why_not = why_not or ("" if self.to else "no To: address (f finds the author's)")

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("To:      ", style="dim")
        text.append(self.to or "(no address)")
        text.append("\nSubject: ", style="dim")
        text.append(self.subject)
        text.append("\n\n")
        if self.why_not:
            text.append(f"Cannot send it from here: {self.why_not}.\n", style="bold")
            text.append("k: keep it as .eml   Escape: cancel (nothing is saved)")
        else:
            text.append("y: send it   k: keep it as .eml   Escape: cancel (nothing is saved)")
        with Vertical(classes="dialog"):
            yield Static(text)

    def action_choose(self, choice: str) -> None:
        if choice == "send" and self.why_not:
            self.notify(f"Cannot send: {self.why_not}", severity="warning")
            return
        self.dismiss(choice)


class Help(ModalScreen[None]):
    """`?`: every key and what it does; any key closes it."""

    def compose(self) -> ComposeResult:
        text = Text("Keys\n\n", style="bold")
        for keys, what in table():
            text.append(f"{keys:<12}", style="bold")
            text.append(f"{what}\n")
        text.append("\nAny key closes this help.", style="dim")
        with Vertical(classes="dialog"):
            yield Static(text)

    def on_key(self, event: object) -> None:
        self.dismiss(None)
