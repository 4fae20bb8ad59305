"""The contract, records: what goes in comes out, dedup keys, ids and their prefixes, program state."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentionscan.errors import NotFound
from mentionscan.store import open_store
from tests.store.conftest import BACKENDS
from tests.store.tools import full_mention, location_in, make, populate


def test_every_field_survives_a_round_trip(location):
    mention = full_mention()
    with open_store(location) as store:
        store.put(mention)
        store.save()
        assert store.writes == 1
    with open_store(location, write=False) as store:
        assert store.get(mention.id) == mention
        assert list(store.mentions()) == [mention]
        assert store.get(mention.id).to_dict() == mention.to_dict()
        assert store.count() == 1


def test_a_missing_database_is_an_empty_store(tmp_path, backend):
    location = location_in(tmp_path / "new" / "folder", backend)
    with open_store(location) as store:
        assert list(store.mentions()) == []
        assert store.get("x") is None
        assert store.find_by_keys(["k"]) is None
        assert store.states() == {}
        assert store.count() == 0
        assert store.authors(["author:x"])["author:x"].mentions == 0
        store.save()
        assert store.writes == 0
    with open_store(location, write=False) as store:
        assert list(store.mentions()) == []


def test_location_is_what_the_user_gave(location):
    with open_store(location, write=False) as store:
        assert store.location == location


def test_changes_are_seen_before_the_save(location):
    populate(location, 3)
    with open_store(location) as store:
        store.put(make(1, status="todo", keys=("new-key",)))
        store.put(make(9))
        assert store.get("m000001").status == "todo"
        assert store.find_by_keys(["new-key"]).id == "m000001"
        assert store.find_by_keys(["guid:blog:1"]) is None  # its old keys went with the old version
        assert store.find_by_keys(["guid:blog:9"]) == make(9)
        assert [m.id for m in list(store.mentions())] == ["m000000", "m000001", "m000002", "m000009"]
        assert store.count() == 4
        assert store.resolve("m000009") == make(9)


# Dedup keys


def test_find_by_keys_matches_any_key(location):
    populate(location, 3)
    with open_store(location) as store:
        assert store.find_by_keys(["nope", "guid:blog:1"]) == make(1)
        assert store.find_by_keys(["url:https://example.com/post/2"]) == make(2)
        assert store.find_by_keys(["nope"]) is None
        assert store.find_by_keys([]) is None
        store.put(make(7))
        assert store.find_by_keys(iter(["guid:blog:7"])) == make(7)


def test_the_first_key_given_that_is_stored_wins(location):
    with open_store(location) as store:
        store.put(make(1, keys=("a",)))
        store.put(make(2, keys=("b",)))
        store.put(make(3, keys=("nul\x00inside", "\x00", "é🚀")))
        store.save()
    with open_store(location, write=False) as store:
        assert store.find_by_keys(["b", "a"]).id == "m000002"
        assert store.find_by_keys(["a", "b"]).id == "m000001"
        for key in ("nul\x00inside", "\x00", "é🚀"):
            assert store.find_by_keys([key]).id == "m000003"
        assert store.find_by_keys(["nul"]) is None


def test_lookups_announced_by_prefetch_answer_as_without_it(location):
    # What a run does per task: the task's lookups announced at once, then asked one by one,
    # with puts (a feed repeating an item, a replaced mention's keys) in between.
    populate(location, 3)
    with open_store(location) as store:
        store.prefetch(["guid:blog:1", "a", "guid:blog:2", "nope"], ["m000001", "m000007", "m000002"])
        assert store.find_by_keys(["nope", "guid:blog:1"]) == make(1)
        assert store.get("m000007") is None
        store.put(make(7, keys=("a",)))
        assert store.find_by_keys(["a"]).id == "m000007"
        store.put(make(2, keys=("two",)))
        assert store.find_by_keys(["guid:blog:2"]) is None
        assert store.get("m000002").keys == ("two",)
        assert store.find_by_keys(["guid:blog:0"]) == make(0)  # not announced: read as usual
        store.save()
        store.prefetch(["a"])  # what a save changed is read anew
        assert store.find_by_keys(["a"]).id == "m000007"
        assert store.find_by_keys(["two"]).id == "m000002"


def test_a_replaced_mention_keeps_the_key_index_current(location):
    with open_store(location) as store:
        store.put(make(1, keys=("a",)))
        store.put(make(1, keys=("a", "b")))
        assert store.find_by_keys(["b"]).keys == ("a", "b")
        store.put(make(1, keys=("b",)))
        assert store.find_by_keys(["a"]) is None
        store.save()
    with open_store(location) as store:
        assert store.find_by_keys(["a"]) is None
        assert store.find_by_keys(["b"]).id == "m000001"
        store.put(make(1, keys=("c",)))  # replacing a stored mention's keys
        assert store.find_by_keys(["b"]) is None
        store.save()
        assert store.find_by_keys(["b"]) is None
        assert store.find_by_keys(["c"]).id == "m000001"
    with open_store(location, write=False) as store:
        assert store.find_by_keys(["b"]) is None
        assert store.find_by_keys(["c"]).id == "m000001"
        assert len(list(store.mentions())) == 1


def test_a_shared_key_stays_with_the_first_mention(location):
    with open_store(location) as store:
        store.put(make(1, keys=("shared",)))
        store.put(make(2, keys=("shared", "own")))
        assert store.find_by_keys(["shared"]).id == "m000001"
        store.save()
    with open_store(location) as store:
        assert store.find_by_keys(["shared"]).id == "m000001"
        assert store.find_by_keys(["own"]).id == "m000002"
        store.put(make(3, keys=("shared",)))
        store.put(make(1, status="todo", keys=("shared",)))  # replaced, still the first
        assert store.find_by_keys(["shared"]).status == "todo"
        store.save()
    with open_store(location, write=False) as store:
        assert store.find_by_keys(["shared"]).id == "m000001"


def test_a_key_its_first_holder_gives_up_passes_to_the_next(location):
    populate(location, 3)
    with open_store(location) as store:
        store.put(make(1, keys=("shared",)))
        store.put(make(2, keys=("shared",)))
        store.save()
    with open_store(location) as store:
        store.put(make(1, keys=("other",)))
        assert store.find_by_keys(["shared"]).id == "m000002"  # before the save
        store.put(make(0, keys=("shared",)))  # stored before both: it is the first holder now
        assert store.find_by_keys(["shared"]).id == "m000000"
        store.save()
        assert store.find_by_keys(["shared"]).id == "m000000"
        store.put(make(0, keys=()))
        store.save()
        assert store.find_by_keys(["shared"]).id == "m000002"  # after the save
    with open_store(location, write=False) as store:
        assert store.find_by_keys(["shared"]).id == "m000002"
        assert store.find_by_keys(["other"]).id == "m000001"


# Ids and prefixes


@pytest.fixture
def ids_store(location):
    with open_store(location) as store:
        for mention_id in ("abc123", "abd456", "ab"):
            store.put(make(0, id=mention_id, keys=()))
        store.save()
        for mention_id in ("abd789", "ffff0000"):  # and two not saved yet
            store.put(make(0, id=mention_id, keys=()))
        yield store


def test_resolve_full_id_and_unique_prefix(ids_store):
    assert ids_store.resolve("abd456").id == "abd456"
    assert ids_store.resolve("ab").id == "ab"  # an exact id wins over longer ids it starts
    assert ids_store.resolve("abc").id == "abc123"
    assert ids_store.resolve("f").id == "ffff0000"


def test_resolve_ambiguous_prefix_shows_prefixes_that_can_be_typed_back(ids_store):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve("a")
    assert str(caught.value) == "id prefix 'a' is ambiguous: ab, abc…, abd4…, abd7…"
    for shown in ("abc", "abd4", "abd7"):
        assert ids_store.resolve(shown).id.startswith(shown)
    with pytest.raises(NotFound) as caught:
        ids_store.resolve("abd")
    assert str(caught.value) == "id prefix 'abd' is ambiguous: abd4…, abd7…"


def test_resolve_many_matches_are_cut_short(location):
    with open_store(location) as store:
        for i in range(8):
            store.put(make(i, id=f"cafe{i}", keys=()))
        with pytest.raises(NotFound, match=r"cafe0, cafe1, cafe2, cafe3, cafe4 and 3 more$"):
            store.resolve("caf")
        store.save()
        with pytest.raises(NotFound, match=r"cafe0, cafe1, cafe2, cafe3, cafe4 and 3 more$"):
            store.resolve("caf")


@pytest.mark.parametrize("unknown", ["zzz", "", "abc1234", "\ud800"])
def test_resolve_unknown(ids_store, unknown):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve(unknown)
    assert str(caught.value) == f"no mention with id {unknown!r}"


# Program state


def test_state_round_trip(location):
    value = {"etag": '"abc"', "failures": 2, "cursor": {"after": [1, 2]}, "none": None}
    with open_store(location) as store:
        assert store.state("source:hn") == {}
        store.set_state("source:hn", value)
        store.set_state("task:x", {"n": 1})
        value["failures"] = 99  # the store kept its own copy
        got = store.state("source:hn")
        got["cursor"]["after"].append(3)  # and hands out copies
        assert store.state("source:hn")["cursor"] == {"after": [1, 2]}
        store.save()
    with open_store(location) as store:
        assert store.states() == {
            "source:hn": {"etag": '"abc"', "failures": 2, "cursor": {"after": [1, 2]}, "none": None},
            "task:x": {"n": 1},
        }
        store.set_state("task:x", {"n": 2})
        store.save()
    with open_store(location, write=False) as store:
        assert store.state("task:x") == {"n": 2}
        assert store.state("unknown") == {}
        assert store.states() == {"source:hn": store.state("source:hn"), "task:x": {"n": 2}}


def test_set_state_replaces(location):
    with open_store(location) as store:
        store.set_state("a", {"x": 1})
        store.save()
    with open_store(location) as store:
        store.set_state("a", {"y": 2})
        store.save()
    with open_store(location, write=False) as store:
        assert store.states() == {"a": {"y": 2}}


# What JSON cannot carry


def test_values_json_cannot_carry_are_refused_at_put(location):
    with open_store(location) as store:
        with pytest.raises(TypeError, match="m000001 cannot be stored"):
            store.put(make(1, extra={"tags": {"a", "b"}}))
        with pytest.raises(TypeError):
            store.set_state("s", {"when": object()})
        assert store.get("m000001") is None
        store.save()
        assert store.writes == 0


def test_lone_surrogates_are_replaced(location):
    with open_store(location) as store:
        store.put(make(1, title="bad \ud800 half", keys=("k\udfff",)))
        store.set_state("s\ud800", {"v": "x\udfff"})
        store.save()
    with open_store(location, write=False) as store:
        assert store.get("m000001").title == "bad \ufffd half"
        assert store.find_by_keys(["k\ufffd"]).id == "m000001"
        assert store.find_by_keys(["k\udfff"]) is None
        assert store.get("m\ud800") is None
        assert store.states() == {"s\ufffd": {"v": "x\ufffd"}}


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(st.text(), min_size=1, max_size=4),
    keys=st.lists(st.lists(st.text(), max_size=3), min_size=4, max_size=4),
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=4, max_size=4, unique=True),
)
def test_any_text_survives_a_round_trip(backend, titles, keys, ids):
    mentions = [make(i, id=ids[i], title=title, keys=tuple(keys[i])) for i, title in enumerate(titles)]
    with tempfile.TemporaryDirectory() as folder:
        location = location_in(Path(folder), backend)
        with open_store(location) as store:
            for mention in mentions:
                store.put(mention)
            store.save()
        with open_store(location, write=False) as store:
            assert sorted(store.mentions(), key=lambda m: m.id) == sorted(mentions, key=lambda m: m.id)
            for mention in mentions:
                assert store.get(mention.id) == mention
                assert store.resolve(mention.id) == mention
                for key in mention.keys:
                    assert store.find_by_keys([key]) == next(m for m in mentions if key in m.keys)
