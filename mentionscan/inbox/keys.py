"""The inbox's keys: one table, shown in the footer, in `?` help and in the README."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma-separated
    action: str  # the app's `action_<name>`
    label: str  # in the footer
    help: str  # in `?` and the README

    @property
    def footer(self) -> bool:
        return self.label in FOOTER


# The footer shows the few keys a newcomer needs first, by label; `?` and the README show all.
FOOTER = frozenset({"open", "todo", "resolved", "undo", "note", "reply", "help", "quit"})
KEYS = (
    Key("j,down", "down", "down", "next mention"),
    Key("k,up", "up", "up", "previous mention"),
    Key("pagedown,ctrl+f", "page(1)", "page down", "a page down"),
    Key("pageup,ctrl+b", "page(-1)", "page up", "a page up"),
    Key("home", "page(-1000000)", "first", "the first mention"),
    Key("end", "page(1000000)", "last", "the last mention"),
    Key("enter,o", "open", "open", "open the link in the browser"),
    Key("t", "mark('todo')", "todo", "mark todo"),
    Key("c", "mark('contacted')", "contacted", "mark contacted"),
    Key("r", "mark('replied')", "replied", "mark replied"),
    Key("x", "mark('resolved')", "resolved", "mark resolved"),
    Key("i", "mark('ignored')", "ignored", "mark ignored"),
    Key("u", "undo", "undo", "undo the last change of status or due date"),
    Key("n", "note", "note", "add a note to the timeline"),
    Key("d", "due", "due", "set a report-back date (3d, friday, 2026-06-01, none)"),
    Key("f", "contact", "find contact", "look for the author's email and pages"),
    Key("R", "reply", "reply", "write a reply in $EDITOR, then send it or keep it as .eml"),
    Key("slash", "search", "search", "search every stored mention (Escape: back)"),
    Key("escape", "leave", "back", "leave a search; clear the selection"),
    Key("s", "cycle_status", "status", "show another status: open, new, todo, ..., all"),
    Key("space", "select", "select", "select several for one action"),
    Key("g", "refresh", "refresh", "show what a fetch stored since (also every minute)"),
    Key("question_mark", "help", "help", "this help"),
    Key("q", "quit", "quit", "quit (every change is already saved)"),
)

SHOWN = {"slash": "/", "question_mark": "?", "down": "↓", "up": "↑"}


def shown(keys: str) -> str:
    """`enter/o`, `/`, `?`: the keys as a person types them."""
    return "/".join(SHOWN.get(k, k) for k in keys.split(","))


def table() -> list[tuple[str, str]]:
    """(keys, what they do) for every key."""
    return [(shown(k.keys), k.help) for k in KEYS]
