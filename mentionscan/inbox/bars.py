"""The inbox's two lines around the panes: what is shown (top), and what is happening (status)."""

from __future__ import annotations

import time

from rich.text import Text

from mentionscan.inbox.worker import Worker

WAITING_AFTER = 0.5  # seconds a database call may take before the screen says it is waiting
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def top_bar(title: str, count: int | None, complete: bool, selected: int) -> Text:
    """`mentionscan inbox  open (new, todo)  31 mentions`; `200+ mentions` while the rest is read;
    `loading…` (count None) before the list is on the screen."""
    text = Text()
    text.append("mentionscan inbox", style="bold")
    text.append(f"  {title}  ")
    if count is None:
        text.append("loading…", style="dim")
    else:
        text.append(f"{count}{'' if complete else '+'} mentions", style="dim")
    if selected:
        text.append(f"  {selected} selected", style="bold")
    text.append("   ? help", style="dim")
    return text


def status_bar(worker: Worker, spin: int, message: Text) -> Text:
    """The last message, after a spinner and what the database thread does once it takes a while."""
    text = Text()
    if (since := worker.busy_since) is not None and time.monotonic() - since > WAITING_AFTER:
        text.append(f"{SPINNER[spin % len(SPINNER)]} {worker.busy_what}… ", style="bold")
    text.append_text(message)
    return text
