"""Following a mention up: status changes, notes, report-back dates and the author's history.

Every change is a new `Event` on the mention's timeline, so `show` can tell the whole story:
`status` events carry the new status as their text, `note` events the note, `due` events the
report-back date (or "cleared"). The previous status is derived from the timeline, not stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mentionscan.errors import ConfigError
from mentionscan.models import STATUSES, Event, Mention
from mentionscan.store import open_store
from mentionscan.store.filter import Filter, select
from mentionscan.timeutil import parse_due, to_iso, utcnow

CLOSED_STATUSES = ("resolved", "ignored")
NO_DUE = ("none", "off", "clear")  # `--due none` removes the report-back date


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
            lines.append(
                (event, "report back by " + event.text if event.text != "cleared" else "no due date")
            )
        else:
            lines.append((event, event.text))
    return lines


def last_contacted(mention: Mention) -> datetime | None:
    """When we last wrote to the author about this mention (set it `contacted`, or logged a draft)."""
    return mention.last_contacted


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    """What we know of the author of a mention across the store.

    `key` is `author:<folded name>` when the mention has an author, else `site:<host>`.
    """

    key: str
    mentions: int
    last_contacted: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "mentions": self.mentions, "last_contacted": to_iso(self.last_contacted)}


def author_key(mention: Mention) -> str:
    """Who wrote it: the folded author name, else the site's host."""
    return mention.author_key


def histories(everything: Iterable[Mention], wanted: Sequence[Mention]) -> dict[str, AuthorHistory]:
    """The author's history of each mention in `wanted`, by mention id, counted over `everything`."""
    counts: defaultdict[str, int] = defaultdict(int)
    contacted: dict[str, datetime] = {}
    for mention in everything:
        key = author_key(mention)
        counts[key] += 1
        when = last_contacted(mention)
        if when is not None and (key not in contacted or when > contacted[key]):
            contacted[key] = when
    result = {}
    for mention in wanted:
        key = author_key(mention)
        result[mention.id] = AuthorHistory(key, max(1, counts[key]), contacted.get(key))
    return result


def ago(when: datetime, now: datetime | None = None) -> str:
    """`5d ago`, or `just now`."""
    from mentionscan.delivery.formats import age

    text = age(when, now)
    return "just now" if text == "now" else f"{text} ago"


def history_cell(history: AuthorHistory, now: datetime | None = None) -> str:
    """`3` mentions from this author, or `3, contacted 2d ago`: the `list` column."""
    if history.last_contacted is None:
        return str(history.mentions)
    return f"{history.mentions}, contacted {ago(history.last_contacted, now)}"


def followups(mentions: Iterable[Mention], now: datetime | None = None) -> list[Mention]:
    """Mentions still open whose report-back date is past or today (local time), oldest first."""
    today = (now or utcnow()).astimezone().date()
    due = [
        m
        for m in mentions
        if m.due is not None and m.status not in CLOSED_STATUSES and m.due.astimezone().date() <= today
    ]
    return sorted(due, key=lambda m: (m.due, m.id))


def due_cell(when: datetime | None, now: datetime | None = None) -> str:
    """`today`, `3d late`, `in 2d`: a due date, short enough for a column."""
    from mentionscan.delivery.formats import age

    if when is None:
        return ""
    now = now or utcnow()
    days = (when.astimezone().date() - now.astimezone().date()).days
    if days == 0:
        return "today"
    if days < 0:
        return f"{age(when, now)} late"
    return f"in {age(now, when)}"


# Store operations: each opens the database once, changes what it must, saves once.


def mark_in_store(
    location: str,
    status: str,
    *,
    ids: Sequence[str] = (),
    selection: Filter | None = None,
    note: str | None = None,
    due: str | None = None,
    lock_timeout: float = 60,
    now: datetime | None = None,
) -> list[tuple[Mention, Mention]]:
    """Mark the mentions named by id prefix, or else those `selection` picks; (before, after) pairs
    for each one that changed. Checks every id and argument before anything is changed."""
    check_status(status)
    due_date(due, now)  # a bad --due fails before the database is opened
    with open_store(location, write=True, lock_timeout=lock_timeout) as store:
        if ids:
            chosen = list({m.id: m for m in (store.resolve(prefix) for prefix in ids)}.values())
        else:
            chosen = select(store.mentions(), selection or Filter())
        changes = []
        for mention in chosen:
            changed = mark(mention, status, note=note, due=due, now=now)
            if changed is not mention:
                store.put(changed)
                changes.append((mention, changed))
        if changes:
            store.save()
    return changes


def note_in_store(location: str, prefix: str, text: str, *, lock_timeout: float = 60) -> Mention:
    """Add a note to the mention `prefix` names; the changed mention."""
    with open_store(location, write=True, lock_timeout=lock_timeout) as store:
        changed = add_note(store.resolve(prefix), text)
        store.put(changed)
        store.save()
    return changed


def record_draft(
    location: str, mention_id: str, draft_text: str, *, due: str | None = None, lock_timeout: float = 60
) -> Mention:
    """Log a reply draft on the mention, set it `contacted` (and its report-back date)."""
    now = utcnow()
    due_date(due, now)
    with open_store(location, write=True, lock_timeout=lock_timeout) as store:
        mention = store.resolve(mention_id)
        changed = mark(mention.with_event("draft", draft_text, at=now), "contacted", due=due, now=now)
        store.put(changed)
        store.save()
    return changed


def find(location: str, prefix: str) -> Mention:
    """The mention `prefix` names (NotFound for none, or more than one)."""
    with open_store(location, write=False) as store:
        return store.resolve(prefix)


def show_in_store(location: str, prefix: str) -> tuple[Mention, AuthorHistory]:
    """The mention `prefix` names, and its author's history."""
    with open_store(location, write=False) as store:
        mention = store.resolve(prefix)
        everything = list(store.mentions())
    return mention, histories(everything, [mention])[mention.id]


def show_record(mention: Mention, history: AuthorHistory) -> dict[str, object]:
    """`show --format json`: the public record, then tags, due date, contacts, timeline, history."""
    data = mention.to_record()
    data.update(
        tags=list(mention.tags),
        due=to_iso(mention.due),
        contacts=[dict(c) for c in mention.contacts],
        timeline=[e.to_dict() for e in mention.timeline],
        history=history.to_dict(),
    )
    return data
