"""A long run on a file database (`open_store(brief=True)`, as `fetch` opens it) and a person's
change saved while it runs: the run's save goes onto that change, as a PostgreSQL save does.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mentionscan.errors import Conflict
from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.store.tools import also, make, populate


def meanwhile(location: str, change) -> None:
    """Another command's change, saved while the run goes on (it takes the lock for a moment)."""
    with open_store(location, lock_timeout=1) as other:
        change(other)
        other.save()


def set_status(mention_id: str, status: str):
    def change(store) -> None:
        store.put(replace(store.get(mention_id), status=status))

    return change


def test_a_mention_changed_meanwhile_gets_the_run_s_change_on_top(file_location):
    populate(file_location, 2)
    with open_store(file_location, brief=True, lock_timeout=1) as run:
        seen, untouched = run.get("m000000"), run.get("m000001")
        meanwhile(file_location, set_status("m000000", "todo"))
        run.put(replace(seen, queries=(*seen.queries, "gadget")), rebase=also("gadget"))
        run.put(replace(untouched, queries=("gizmo",)), rebase=also("gizmo"))
        run.save()
    with open_store(file_location, write=False) as store:
        changed, other = store.get("m000000"), store.get("m000001")
    assert (changed.status, changed.queries) == ("todo", ("widget", "gadget"))
    assert other.queries == ("gizmo",)  # nobody else touched it: written as the run left it


def test_nothing_changed_meanwhile_is_saved_as_the_run_left_it(file_location):
    populate(file_location, 1)

    def never(current: Mention) -> Mention:
        raise AssertionError("nothing changed meanwhile: there is nothing to apply again")

    with open_store(file_location, brief=True, lock_timeout=1) as run:
        run.put(replace(run.get("m000000"), status="ignored"), rebase=never)
        run.save()
        assert run.writes == 1
    with open_store(file_location, write=False) as store:
        assert store.get("m000000").status == "ignored"


def test_a_change_that_cannot_be_applied_again_is_refused_and_theirs_is_kept(file_location):
    populate(file_location, 2)
    with open_store(file_location, brief=True, lock_timeout=1) as run:
        seen = run.get("m000000")
        meanwhile(file_location, set_status("m000000", "contacted"))
        run.put(replace(seen, status="ignored"))
        run.put(replace(run.get("m000001"), status="todo"))
        with pytest.raises(Conflict, match="m000000 was changed by another command while this one ran"):
            run.save()
    with open_store(file_location, write=False) as store:
        assert [m.status for m in store.mentions()] == ["contacted", "new"]  # nothing of the run


def test_a_new_item_someone_stored_meanwhile_is_stored_once_with_both_sightings(file_location):
    populate(file_location, 1)
    item = make(7)
    with open_store(file_location, brief=True, lock_timeout=1) as run:
        assert run.find_by_keys(item.keys) is None
        run.put(item, rebase=also("widget"))
        meanwhile(file_location, lambda other: other.put(replace(item, id="other", queries=("gadget",))))
        run.set_state("task:a", {"cursor": 1})
        run.save()
    with open_store(file_location, write=False) as store:
        assert [m.id for m in store.mentions()] == ["m000000", "other"]
        assert store.get("other").queries == ("gadget", "widget")
        assert store.state("task:a") == {"cursor": 1}


def test_the_run_saves_again_onto_a_second_change_and_keeps_their_states(file_location):
    populate(file_location, 1)
    with open_store(file_location, brief=True, lock_timeout=1) as run:
        meanwhile(file_location, set_status("m000000", "todo"))
        run.put(replace(run.get("m000000"), queries=("widget", "gadget")), rebase=also("gadget"))
        run.set_state("task:a", {"cursor": 1})
        run.save()  # onto the first change; the store is now the database as saved
        meanwhile(file_location, lambda other: other.set_state("digest", {"sent": 1}))
        meanwhile(file_location, set_status("m000000", "replied"))
        run.put(replace(run.get("m000000"), queries=("widget", "gadget", "gizmo")), rebase=also("gizmo"))
        run.save()
    with open_store(file_location, write=False) as store:
        kept = store.get("m000000")
        assert (kept.status, kept.queries) == ("replied", ("widget", "gadget", "gizmo"))
        assert store.states() == {"task:a": {"cursor": 1}, "digest": {"sent": 1}}
