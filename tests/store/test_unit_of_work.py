"""The contract, the unit of work: one save writes every change at once, or nothing; runs take turns."""

from __future__ import annotations

import subprocess

import pytest

from mentionscan.errors import StoreError, StoreLocked
from mentionscan.store import open_store
from tests.store.tools import HOLD_LOCK, make, populate, python


def test_save_with_no_changes_writes_nothing(location):
    populate(location, 5)
    with open_store(location) as store:
        store.set_state("s", {"a": 1})
        store.save()
    with open_store(location) as store:
        store.save()
        store.put(make(3))  # identical to what is stored
        store.set_state("s", {"a": 1})  # likewise
        store.save()
        assert store.writes == 0


def test_one_save_is_one_write(location):
    populate(location, 50)
    with open_store(location) as store:
        for i in range(50, 150):
            store.put(make(i))
        store.put(make(3, status="todo"))
        store.set_state("a", {"n": 1})
        store.set_state("b", {"n": 2})
        store.save()
        assert store.writes == 1
        store.save()
        assert store.writes == 1
        store.put(make(150))
        store.save()
        assert store.writes == 2
        assert store.count() == 151
    with open_store(location, write=False) as store:
        assert len(list(store.mentions())) == 151
        assert store.get("m000003").status == "todo"
        assert store.find_by_keys(["guid:blog:150"]).id == "m000150"
        assert store.states() == {"a": {"n": 1}, "b": {"n": 2}}


def test_saves_that_add_replace_or_add_nothing_each_leave_what_was_put(location):
    with open_store(location) as store:
        store.set_state("s", {"n": 0})
        store.save()  # no mentions at all
    expected = {}
    steps = [[1], [2, 3], [], [2], [4], [1, 5], [6]]
    with open_store(location) as store:
        for number, step in enumerate(steps):
            for i in step:
                mention = make(i, title=f"step {number}")
                store.put(mention)
                expected[mention.id] = mention
            store.set_state("s", {"n": number + 1})
            store.save()
            with open_store(location, write=False) as reader:
                assert {m.id: m for m in reader.mentions()} == expected
                assert reader.state("s") == {"n": number + 1}
        assert store.writes == len(steps)
    with open_store(location) as store:  # and again after a fresh load
        store.put(make(7))
        store.save()
    with open_store(location, write=False) as store:
        assert [m.id for m in store.mentions()] == [f"m00000{i}" for i in (1, 2, 3, 4, 5, 6, 7)]


def test_nothing_is_saved_implicitly(location):
    with pytest.raises(RuntimeError), open_store(location) as store:
        store.put(make(1))
        raise RuntimeError("boom")
    with open_store(location, write=False) as store:
        assert store.count() == 0
    populate(location, 2)
    with open_store(location) as store:
        store.put(make(9))
        store.set_state("s", {"x": 1})
    with open_store(location, write=False) as store:
        assert store.count() == 2
        assert store.get("m000009") is None
        assert store.states() == {}


def test_read_only_store_cannot_save(location):
    populate(location, 2)
    with open_store(location, write=False) as store:
        store.put(make(5))  # a dry run changes its store in memory only
        assert store.get("m000005") == make(5)
        assert store.count() == 3
        with pytest.raises(StoreError, match="read-only"):
            store.save()
    with open_store(location, write=False) as store:
        assert store.get("m000005") is None
        assert store.count() == 2


def test_a_closed_store_refuses_use(location):
    with open_store(location) as store:
        pass
    for use in (
        lambda: list(store.mentions()),
        lambda: store.count(),
        lambda: store.get("x"),
        lambda: store.authors(["a"]),
        lambda: store.put(make(1)),
        lambda: store.save(),
    ):
        with pytest.raises(StoreError, match="closed"):
            use()


def test_a_second_writer_waits_then_gives_up_and_readers_go_on(file_location):
    location = file_location
    populate(location, 1)
    holder = python(HOLD_LOCK, location, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLocked) as caught, open_store(location, lock_timeout=0.2):
            pass
        assert str(caught.value).endswith(
            " is in use by another mentionscan run (waited 0.2 s); try again when it ends"
        )
        with open_store(location, write=False) as store:  # readers take no lock
            assert store.get("m000000") == make(0)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with open_store(location, lock_timeout=0.2) as store:
        assert store.get("m000000") == make(0)


def test_a_killed_holder_releases_the_lock(file_location):
    location = file_location
    holder = python(HOLD_LOCK, location, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.kill()
        holder.wait(timeout=10)
    finally:
        holder.stdin.close()
        holder.stdout.close()
    with open_store(location, lock_timeout=2) as store:
        assert list(store.mentions()) == []
