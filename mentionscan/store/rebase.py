"""A long run's save onto a file database that another command wrote while the run went on.

A fetch holds the database's lock only to open it and to save (`BaseStore.lock_only_to_save`),
so that the inbox, `mark` or `note` need not wait minutes for it. When its save finds the file
changed, its changes are put again onto the database as it is now, as a PostgreSQL save does:
a mention the run replaced and nobody else touched is written as the run left it; one that
someone changed meanwhile gets the run's `rebase` (the same sighting, on what is there now),
so a status set in the inbox and a query merged by the fetch are both kept; a new mention whose
key someone else stored meanwhile is merged into that one. The program state the run changed
(cursors, health) is its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mentionscan.errors import Conflict

if TYPE_CHECKING:
    from mentionscan.models import Mention
    from mentionscan.store.base import BaseStore, Change


def save_onto(old: BaseStore, fresh: BaseStore) -> None:
    """Save `old`'s unsaved changes onto `fresh` (the database as stored now), then make `old` it."""
    try:
        for _, change in sorted(old._changes.items(), key=lambda item: item[1].position):
            replayed = _on_current(old._mention_of(change), change, fresh)
            if replayed is not None:
                fresh.put(replayed)
        for name in old._dirty_states:
            fresh.set_state(name, old._states[name])
        fresh.save()
    except BaseException:
        fresh.close()
        raise
    old._adopt(fresh)


def _on_current(mine: Mention, change: Change, fresh: BaseStore) -> Mention | None:
    """What to put for this change on the database as it is now (None: nothing)."""
    stored = fresh.get(mine.id)
    if stored is None and change.read is not None:
        return None  # removed meanwhile: a sighting does not bring it back
    if stored is None:
        holder = fresh.find_by_keys(change.keys)
        if holder is None or change.rebase is None:
            return mine
        stored = holder  # the same item, stored by another command meanwhile
    elif change.read is not None and fresh._stored_payload(mine.id) == change.read:
        return mine  # nobody else touched it
    if change.rebase is None:
        raise Conflict(
            f"mention {mine.id} was changed by another command while this one ran; nothing was saved: "
            "run it again"
        )
    return change.rebase(stored)
