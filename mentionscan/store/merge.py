"""Merging a backup into a database (`mentionscan import`): by id, then by dedup key; nothing lost.

The rule, for a mention of the backup:

- none stored with its id or any of its dedup keys: it is added, whole;
- one stored (same id, else the one holding one of its keys, as a fetch would find it): the two
  are merged, and the stored one keeps its id. The timeline is the union of both (each event
  once, in time order), so every note, status change, draft and contact found survives; the
  status and the due date are those of whichever side changed them last; queries, keys, tags
  and contacts are the union; the earliest `found_at` and the earliest digest stand (a mention
  a digest carried is never sent again); any other field the database left empty is filled in.

Program state (cursors, source health, the last digest) is added where the database has none;
what it has is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from mentionscan.models import Event, Mention
from mentionscan.store.interface import Store

NEVER = datetime.min.replace(tzinfo=UTC)
FILLED = ("url", "title", "snippet", "author", "author_url", "author_email", "published", "text")


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did (or, for a dry run, would do)."""

    added: int = 0
    merged: int = 0  # stored mentions that gained something from the backup
    unchanged: int = 0
    states_added: int = 0
    states_kept: int = 0  # states the database had already: left as they were


def merge(stored: Mention, incoming: Mention) -> Mention:
    """`stored` with everything `incoming` knows added; `stored` itself when it adds nothing."""
    changes: dict[str, Any] = {}
    timeline = _union_events(stored.timeline, incoming.timeline)
    if timeline != stored.timeline:
        changes["timeline"] = timeline
    for name, unset in (("status", "new"), ("due", None)):
        if getattr(incoming, name) != getattr(stored, name) and _changed_later(incoming, stored, name, unset):
            changes[name] = getattr(incoming, name)
    for name in ("queries", "keys", "tags"):
        union = tuple(dict.fromkeys((*getattr(stored, name), *getattr(incoming, name))))
        if union != getattr(stored, name):
            changes[name] = union
    contacts = _union_contacts(stored.contacts, incoming.contacts)
    if contacts != stored.contacts:
        changes["contacts"] = contacts
    for name in ("found_at", "digested_at"):
        earliest = min((t for t in (getattr(stored, name), getattr(incoming, name)) if t), default=None)
        if earliest != getattr(stored, name):
            changes[name] = earliest
    for name in FILLED:
        if not getattr(stored, name) and getattr(incoming, name):
            changes[name] = getattr(incoming, name)
    extra = {**incoming.extra, **stored.extra}
    if extra != stored.extra:
        changes["extra"] = extra
    return replace(stored, **changes) if changes else stored


def import_mentions(
    store: Store, mentions: Iterable[Mention], states: dict[str, dict[str, Any]] | None
) -> Imported:
    """Merge `mentions` (and `states`) into `store` by the rule above; the caller saves."""
    added = merged = unchanged = 0
    for incoming in mentions:
        stored = store.get(incoming.id) or store.find_by_keys(incoming.keys)
        if stored is None:
            store.put(incoming)
            added += 1
            continue
        result = merge(stored, incoming)
        if result is stored:
            unchanged += 1
        else:
            store.put(result)
            merged += 1
    have = store.states()
    new_states = {name: value for name, value in (states or {}).items() if name not in have}
    for name, value in new_states.items():
        store.set_state(name, value)
    kept = len(states or {}) - len(new_states)
    return Imported(added, merged, unchanged, len(new_states), kept)


def _union_events(mine: tuple[Event, ...], theirs: tuple[Event, ...]) -> tuple[Event, ...]:
    seen = set(mine)
    extra = [e for e in theirs if e not in seen]
    if not extra:
        return mine
    # Stable: events at the same moment keep the database's order, then the backup's.
    return tuple(sorted((*mine, *dict.fromkeys(extra)), key=lambda e: e.at))


def _union_contacts(
    mine: tuple[dict[str, str], ...], theirs: tuple[dict[str, str], ...]
) -> tuple[dict[str, str], ...]:
    known = {(c.get("kind"), c.get("value")) for c in mine}
    extra = [c for c in theirs if (c.get("kind"), c.get("value")) not in known]
    unique = list({(c.get("kind"), c.get("value")): c for c in extra}.values())
    return (*mine, *unique) if unique else mine


def _changed_later(incoming: Mention, stored: Mention, kind: str, unset: object) -> bool:
    """Whether the backup's value of `kind` (status, due) wins: it was set last, or it alone is set.

    A side whose timeline never changed it counts as the oldest; when neither did, the
    database's value stands unless it is the default (`new`, no due date).
    """
    theirs, mine = _last(incoming, kind), _last(stored, kind)
    if theirs != mine:
        return theirs > mine
    return theirs == NEVER and getattr(stored, kind) == unset


def _last(mention: Mention, kind: str) -> datetime:
    """When `mention`'s timeline last changed `kind` (NEVER: it did not)."""
    return max((e.at for e in mention.timeline if e.kind == kind), default=NEVER)
