"""The inbox's keys: one table, shown in the footer, in `?` help and in the README."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma-separated
    action: str  # the app's `action_<name>`
    label: str  # in the footer
    help: str  # in `?` and the README
    footer: bool = True


KEYS = (
    Key("j,down", "down", "down", "next mention", footer=False),
    Key("k,up", "up", "up", "previous mention", footer=False),
    Key("pagedown,ctrl+f", "page(1)", "page down", "a page down", footer=False),
    Key("pageup,ctrl+b", "page(-1)", "page up", "a page up", footer=False),
    Key("home", "page(-1000000)", "first", "the first mention", footer=False),
    Key("end", "page(1000000)", "last", "the last mention", footer=False),
    Key("enter,o", "open", "open", "open the link in the browser"),
    Key("t", "mark('todo')", "todo", "mark todo"),
    Key("c", "mark('contacted')", "contacted", "mark contacted", footer=False),
    Key("r", "mark('replied')", "replied", "mark replied", footer=False),
    Key("x", "mark('resolved')", "resolved", "mark resolved"),
    Key("i", "mark('ignored')", "ignored", "mark ignored", footer=False),
    Key("u", "undo", "undo", "undo the last change of status or due date"),
    Key("n", "note", "note", "add a note to the timeline"),
    Key("d", "due", "due", "set a report-back date (3d, friday, 2026-06-01, none)", footer=False),
    Key("f", "contact", "find contact", "look for the author's email and pages", footer=False),
    Key("R", "reply", "reply", "write a reply in $EDITOR, then send it or keep it as .eml"),
    Key("slash", "search", "search", "search every stored mention (Escape: back)", footer=False),
    Key("escape", "leave", "back", "leave a search; clear the selection", footer=False),
    Key("s", "cycle_status", "status", "show another status: open, new, todo, ..., all", footer=False),
    Key("space", "select", "select", "select several for one action", footer=False),
    Key("g", "refresh", "refresh", "show what a fetch stored since (also every minute)", footer=False),
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
