"""What a database written by several processes at once promises (PostgreSQL): no update lost.

Two stores open on one database stand for two machines: each reads, then changes, then saves.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mentionscan.errors import Conflict, StoreError
from mentionscan.store import open_store
from tests import pgtools
from tests.store.tools import also, make, populate

pytestmark = pytest.mark.postgres


@pytest.fixture
def location() -> str:
    return pgtools.database_url()


def test_a_change_based_on_an_old_read_is_applied_to_the_current_row(location):
    populate(location, 1)
    with open_store(location) as first, open_store(location) as second:
        seen = first.get("m000000")
        second.put(replace(second.get("m000000"), status="contacted"))
        second.save()
        first.put(replace(seen, queries=(*seen.queries, "gadget")), rebase=also("gadget"))
        first.save()
    with open_store(location, write=False) as store:
        stored = store.get("m000000")
    assert (stored.status, stored.queries) == ("contacted", ("widget", "gadget"))


def test_a_change_that_cannot_be_applied_again_is_refused_and_nothing_is_saved(location):
    populate(location, 2)
    with open_store(location) as first, open_store(location) as second:
        seen = first.get("m000000")
        second.put(replace(second.get("m000000"), status="contacted"))
        second.save()
        first.put(replace(seen, status="ignored"))
        first.put(replace(first.get("m000001"), status="todo"))
        with pytest.raises(Conflict, match="m000000 was changed by someone else since it was read"):
            first.save()
    with open_store(location, write=False) as store:
        assert [m.status for m in store.mentions()] == ["contacted", "new"]


def test_two_workers_storing_one_item_at_once_store_it_once_and_merge_the_second_sighting(location):
    populate(location, 1)
    item = make(7)
    with open_store(location) as first, open_store(location) as second:
        assert first.find_by_keys(item.keys) is None and second.find_by_keys(item.keys) is None
        first.put(item, rebase=also("widget"))
        # The second worker found it through another source, under another id and another query.
        second.put(replace(item, id="other", queries=("gadget",)), rebase=also("gadget"))
        first.save()
        second.save()
    with open_store(location, write=False) as store:
        assert [m.id for m in store.mentions()] == ["m000000", "m000007"]
        assert store.get("m000007").queries == ("widget", "gadget")
        assert store.find_by_keys([item.keys[1]]).id == "m000007"


def test_two_workers_linking_one_discussion_at_once_keep_one_mention_and_both_links(location):
    from mentionscan.fetching.run import linked

    populate(location, 1)  # m000000: the page that both workers find a discussion of
    discussion = make(7)
    with open_store(location) as first, open_store(location) as second:
        for store, query in ((first, "widget"), (second, "gadget")):  # as `fetch` puts and relates them
            page = store.get("m000000")
            found = replace(discussion, queries=(query,))
            store.put(found, rebase=also(query))
            store.put(replace(found, related=("m000000",)), rebase=linked("m000000"))
            store.put(replace(page, related=("m000007",)), rebase=linked("m000007"))
        first.save()
        second.save()
    with open_store(location, write=False) as store:
        assert [(m.id, m.related) for m in store.mentions()] == [
            ("m000000", ("m000007",)),
            ("m000007", ("m000000",)),
        ]
        assert store.get("m000007").queries == ("widget", "gadget")


def test_states_written_by_two_stores_keep_both(location):
    with open_store(location) as first, open_store(location) as second:
        first.set_state("task:a", {"cursor": 1})
        second.set_state("task:b", {"cursor": 2})
        first.save()
        second.save()
    with open_store(location, write=False) as store:
        assert store.states() == {"task:a": {"cursor": 1}, "task:b": {"cursor": 2}}


def test_hosts_are_paced_once_for_every_worker(location):
    populate(location, 1)
    with open_store(location) as one, open_store(location) as two:
        first, second = one.team(lease=30), two.team(lease=30)
        try:
            # Every 10 s: the turns given are now, in 10 s and in 20 s, whichever worker asks.
            waits = [
                first.pace("api.example", 10),
                second.pace("api.example", 10),
                first.pace("api.example", 10),
            ]
            other = second.pace("other.example", 10)
        finally:
            first.close()
            second.close()
    assert waits[0] == 0 and 9 < waits[1] <= 10 and 19 < waits[2] <= 20
    assert other == 0


def test_a_task_is_claimed_by_one_worker_and_left_to_it_for_the_round(location):
    populate(location, 1)
    with open_store(location) as one, open_store(location) as two:
        first, second = one.team(lease=30), two.team(lease=30)
        first.offer(["blog", "hn"])
        second.offer(["blog", "hn"])
        assert first.claim("blog") and not second.claim("blog")
        assert second.claim("hn") and not first.claim("hn")
        first.done("blog")
        one.save()  # marks it done, with whatever the task stored
        first.close()
        assert not second.claim("blog")  # done in this round, by a run that overlapped this one
        second.close()
    with open_store(location) as three:
        third = three.team(lease=30)
        assert third.claim("blog") and third.claim("hn")  # a new round: every task again
        third.close()


def test_a_dead_workers_tasks_are_claimed_once_its_lease_ran_out(location):
    populate(location, 1)
    with open_store(location) as one, open_store(location) as two:
        dead = one.team(lease=1)
        dead.offer(["blog"])
        assert dead.claim("blog")
        dead._stop.set()  # its heartbeat stops, as when the process is killed
        live = two.team(lease=30)
        assert not live.claim("blog")
        with pgtools.connect(location, autocommit=True) as conn:
            conn.execute(
                "UPDATE fetch_runs SET expires = now() - interval '1 second' WHERE id = %s", [dead.run]
            )
        assert live.claim("blog")
        live.close()


def test_db_upgrade_runs_each_step_once_and_refuses_a_newer_database(location):
    from mentionscan.store.pg_store import upgrade_database
    from mentionscan.store.pg_write import upgrade

    populate(location, 1)
    assert upgrade_database(location) == (1, 1)  # at this version's schema: nothing to do
    steps = {1: ("ALTER TABLE meta ADD COLUMN note text",)}  # a schema 2, as a later version adds
    with pgtools.connect(location) as conn:
        assert upgrade(conn, "db", steps, target=2) == (1, 2)
        assert upgrade(conn, "db", steps, target=2) == (2, 2)  # the step ran once
        assert conn.execute("SELECT value, note FROM meta WHERE key = 'schema'").fetchone() == ("2", None)
        conn.rollback()
    with pgtools.connect(location, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="newer than this mentionscan's 1: upgrade mentionscan"):
        upgrade_database(location)
    with pytest.raises(StoreError, match="schema version 9, and this mentionscan reads only version 1"):
        open_store(location, write=False).__enter__()


def test_a_digest_recorded_while_someone_marks_keeps_both(location):
    from mentionscan.delivery.digest import digested

    populate(location, 1)
    now = make(0).found_at
    with open_store(location) as digest, open_store(location) as person:
        seen = digest.get("m000000")  # in the digest being sent
        person.put(replace(person.get("m000000"), status="contacted"))
        person.save()
        event = ("digest", "included in a digest sent to team@example.com")
        digest.put(seen.with_event(*event, at=now, digested_at=now), rebase=digested(event, now))
        digest.save()
    with open_store(location, write=False) as store:
        stored = store.get("m000000")
    assert (stored.status, stored.digested_at) == ("contacted", now)
    assert [e.kind for e in stored.timeline].count("digest") == 1
