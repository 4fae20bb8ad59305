"""Following a mention up: status changes, notes, report-back dates and the author's history.

Every change is a new `Event` on the mention's timeline, so `show` can tell the whole story:
`status` events carry the new status as their text, `note` events the note, `due` events the
report-back date (or "cleared"). The previous status is derived from the timeline, not stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mentionscan.errors import ConfigError
from mentionscan.models import STATUSES, Event, Mention
from mentionscan.store.interface import AuthorStats, MentionFilter, Store
from mentionscan.timeutil import age, local_date, local_day, parse_due, parse_time, to_iso, utcnow

NO_DUE = ("none", "off", "clear")  # `--due none` removes the report-back date


@dataclass(frozen=True, slots=True)
class Change:
    """One mention before and after a change (`Workspace.mark`)."""

    before: Mention
    after: Mention


def check_status(text: str) -> str:
    """`text` if it is a status, else a ConfigError listing the statuses."""
    if text not in STATUSES:
        raise ConfigError(f"unknown status {text!r}: use one of {', '.join(STATUSES)}")
    return text


def due_date(text: str | None, now: datetime | None = None) -> datetime | None:
    """`--due`: a duration from now (`3d`), a date, or None for `none` (raises on anything else)."""
    if text is None or text.strip().lower() in NO_DUE:
        return None
    return parse_due(text, now)


def mark(
    mention: Mention,
    status: str | None = None,
    *,
    note: str | None = None,
    due: str | None = None,
    now: datetime | None = None,
) -> Mention:
    """A copy with the new status, note and due date, each logged on the timeline.

    `due` is the text the user typed (`3d`, `2026-05-01`, `none`); None leaves the date alone.
    Setting the status a mention already has logs nothing.
    """
    now = now or utcnow()
    changed = mention
    if status is not None and check_status(status) != mention.status:
        changed = changed.with_event("status", status, at=now, status=status)
    if due is not None:
        when = due_date(due, now)
        if when != changed.due:
            changed = changed.with_event("due", to_iso(when) or "cleared", at=now, due=when)
    if note is not None and note.strip():
        changed = changed.with_event("note", note.strip(), at=now)
    return changed


def mark_all(
    store: Store,
    status: str,
    ids: Sequence[str],
    selection: MentionFilter,
    *,
    note: str | None = None,
    due: str | None = None,
    now: datetime | None = None,
) -> list[Change]:
    """`mark` the mentions named by id prefix (every one checked first), else those `selection`
    picks, in an open store; saved at once, when anything changed."""
    if ids:
        chosen = list({m.id: m for m in (store.resolve(prefix) for prefix in ids)}.values())
    else:
        chosen = list(store.mentions(selection))
    changes = []
    for mention in chosen:
        changed = mark(mention, status, note=note, due=due, now=now)
        if changed is not mention:
            store.put(changed)
            changes.append(Change(mention, changed))
    if changes:
        store.save()
    return changes


def add_note(mention: Mention, text: str, now: datetime | None = None) -> Mention:
    """A copy with `text` added to the timeline as a note (an empty note is a ConfigError)."""
    if not text.strip():
        raise ConfigError("the note is empty")
    return mention.with_event("note", text.strip(), at=now)


def timeline_lines(mention: Mention) -> list[tuple[Event, str]]:
    """Each event with a one-line description: `new -> todo` for a status change."""
    status = "new"
    lines = []
    for event in mention.timeline:
        if event.kind == "status":
            lines.append((event, f"{status} -> {event.text}"))
            status = event.text
        elif event.kind == "due":
            when = parse_time(event.text)
            lines.append((event, f"report back by {local_date(when)}" if when else "no due date"))
        else:
            lines.append((event, event.text))
    return lines


def ago(when: datetime, now: datetime | None = None) -> str:
    """`5d ago`, or `just now`."""
    text = age(when, now)
    return "just now" if text == "now" else f"{text} ago"


def history_cell(history: AuthorStats, now: datetime | None = None) -> str:
    """`3` mentions from this author, or `3, contacted 2d ago`: the `list` column."""
    count = max(1, history.mentions)
    if history.last_contacted is None:
        return str(count)
    return f"{count}, contacted {ago(history.last_contacted, now)}"


def due_cutoff(now: datetime | None = None) -> datetime:
    """The start of tomorrow, local time: what is due before it is due today or late."""
    today = (now or utcnow()).astimezone()
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).astimezone(UTC)


def due_cell(when: datetime | None, now: datetime | None = None) -> str:
    """`today`, `tomorrow`, `in 3d`, `2d late`: a due date, short enough for a column.

    Counted in local calendar days, not in 24-hour periods: a date set with `--due 3d` a
    minute ago is "in 3d" until midnight, whatever the hour.
    """
    if when is None:
        return ""
    days = (local_day(when) - local_day(now or utcnow())).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    span = f"{abs(days)}d" if abs(days) < 14 else f"{abs(days) // 7}w"
    return f"{span} late" if days < 0 else f"in {span}"
