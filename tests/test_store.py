"""The store: real database files in tmp_path, other processes for locking and crashes."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinydb import TinyDB

from mentionscan.errors import NotFound, StoreError, StoreLocked
from mentionscan.models import Event, Mention
from mentionscan.store import open_store
from mentionscan.store.jsonfile import AtomicJSONStorage, split_own_file

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def make(i: int, **changes) -> Mention:
    mention = Mention(
        id=f"m{i:06d}",
        url=f"https://example.com/post/{i}",
        title=f"Post {i} about Widget",
        snippet="a snippet",
        author=None,
        author_url=None,
        author_email=None,
        published=None,
        found_at=T0 + timedelta(minutes=i),
        source="blog",
        source_type="rss",
        queries=("widget",),
        keys=(f"url:https://example.com/post/{i}", f"guid:blog:{i}"),
    )
    return replace(mention, **changes)


def full_mention() -> Mention:
    """Every field set to something other than its default, including awkward text."""
    return Mention(
        id="f00dcafe1234",
        url="https://example.com/a?b=1&c=2",
        title='Widget 2.0 — «quoted» "title" with \\ backslash, ],"keys":[ and an emoji 🚀',
        snippet="line one\nline two\ttab",
        author="Zoë Ünïcode",
        author_url="https://example.com/~zoe",
        author_email="zoe@example.com",
        published=T0 - timedelta(days=1),
        found_at=T0,
        source="hn",
        source_type="hn",
        queries=("widget", "widget 2"),
        status="contacted",
        keys=("url:https://example.com/a?b=1&c=2", 'guid:hn:],"x', "hash:abc"),
        text="full text\r\nwith CRLF",
        tags=("launch", "review"),
        timeline=(Event(at=T0, kind="found"), Event(at=T0 + timedelta(hours=1), kind="note", text="called")),
        due=T0 + timedelta(days=3),
        digested_at=T0 + timedelta(hours=2),
        contacts=({"kind": "email", "value": "zoe@example.com"},),
        extra={"score": 42, "ratio": 0.5, "nested": {"list": [1, "two", None, True]}},
    )


def populate(path: Path, count: int) -> list[Mention]:
    mentions = [make(i) for i in range(count)]
    with open_store(path) as store:
        for mention in mentions:
            store.put(mention)
        store.save()
    return mentions


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def python(code: str, *args: object, **kwargs) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], env=env, text=True, cwd=ROOT, **kwargs
    )


# Round trips


def test_every_field_survives_a_round_trip(tmp_path):
    db = tmp_path / "db.json"
    mention = full_mention()
    with open_store(db) as store:
        store.put(mention)
        store.save()
    with open_store(db, write=False) as store:
        assert store.get(mention.id) == mention
        assert list(store.mentions()) == [mention]
        assert store.get(mention.id).to_dict() == mention.to_dict()


def test_a_missing_file_is_an_empty_store_and_stays_missing(tmp_path):
    db = tmp_path / "new" / "folder" / "db.json"
    with open_store(db) as store:
        assert list(store.mentions()) == []
        assert store.get("x") is None
        assert store.states() == {}
        store.save()
        assert store.writes == 0
    assert not db.exists()
    with open_store(db, write=False) as store:
        assert list(store.mentions()) == []


def test_save_creates_the_folder(tmp_path):
    db = tmp_path / "a" / "b" / "db.json"
    with open_store(db) as store:
        store.put(make(1))
        store.save()
    with open_store(db, write=False) as store:
        assert store.get("m000001") == make(1)


def test_location_is_what_the_user_gave(tmp_path):
    with open_store(str(tmp_path / "db.json"), write=False) as store:
        assert store.location == str(tmp_path / "db.json")


# Dedup keys


def test_find_by_keys_matches_any_key(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 3)
    with open_store(db) as store:
        assert store.find_by_keys(["nope", "guid:blog:1"]) == make(1)
        assert store.find_by_keys(["url:https://example.com/post/2"]) == make(2)
        assert store.find_by_keys(["nope"]) is None
        assert store.find_by_keys([]) is None
        store.put(make(7))
        assert store.find_by_keys(iter(["guid:blog:7"])) == make(7)


def test_a_replaced_mention_keeps_the_key_index_current(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        store.put(make(1, keys=("a",)))
        store.put(make(1, keys=("a", "b")))
        assert store.find_by_keys(["b"]).keys == ("a", "b")
        store.put(make(1, keys=("b",)))
        assert store.find_by_keys(["a"]) is None
        store.save()
    with open_store(db, write=False) as store:
        assert store.find_by_keys(["a"]) is None
        assert store.find_by_keys(["b"]).id == "m000001"
        assert len(list(store.mentions())) == 1


def test_a_shared_key_stays_with_the_first_mention(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        store.put(make(1, keys=("shared",)))
        store.put(make(2, keys=("shared", "own")))
        assert store.find_by_keys(["shared"]).id == "m000001"
        store.save()
    with open_store(db, write=False) as store:
        assert store.find_by_keys(["shared"]).id == "m000001"
        assert store.find_by_keys(["own"]).id == "m000002"


# Ids and prefixes


@pytest.fixture
def ids_store(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        for mention_id in ("abc123", "abd456", "abd789", "ab", "ffff0000"):
            store.put(make(0, id=mention_id, keys=()))
        yield store


def test_resolve_full_id(ids_store):
    assert ids_store.resolve("abd456").id == "abd456"
    assert ids_store.resolve("ab").id == "ab"  # an exact id wins over longer ids it starts


def test_resolve_unique_prefix(ids_store):
    assert ids_store.resolve("abc").id == "abc123"
    assert ids_store.resolve("f").id == "ffff0000"


def test_resolve_ambiguous_prefix(ids_store):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve("abd")
    assert str(caught.value) == "id prefix 'abd' is ambiguous: abd4…, abd7…"


def test_resolve_ambiguous_prefix_shows_prefixes_that_can_be_typed_back(ids_store):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve("a")
    assert str(caught.value) == "id prefix 'a' is ambiguous: ab, abc…, abd4…, abd7…"
    for shown in ("abc", "abd4", "abd7"):
        assert ids_store.resolve(shown).id.startswith(shown)


def test_resolve_many_matches_are_cut_short(tmp_path):
    with open_store(tmp_path / "db.json") as store:
        for i in range(8):
            store.put(make(i, id=f"cafe{i}", keys=()))
        with pytest.raises(NotFound, match=r"cafe0, cafe1, cafe2, cafe3, cafe4 and 3 more$"):
            store.resolve("caf")


@pytest.mark.parametrize("unknown", ["zzz", "", "abc1234"])
def test_resolve_unknown(ids_store, unknown):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve(unknown)
    assert str(caught.value) == f"no mention with id '{unknown}'"


# State


def test_state_round_trip(tmp_path):
    db = tmp_path / "db.json"
    value = {"etag": '"abc"', "failures": 2, "cursor": {"after": [1, 2]}, "none": None}
    with open_store(db) as store:
        assert store.state("source:hn") == {}
        store.set_state("source:hn", value)
        store.set_state("task:x", {"n": 1})
        value["failures"] = 99  # the store kept its own copy
        got = store.state("source:hn")
        got["cursor"]["after"].append(3)  # and hands out copies
        assert store.state("source:hn")["cursor"] == {"after": [1, 2]}
        store.save()
    with open_store(db, write=False) as store:
        assert store.state("source:hn") == {
            "etag": '"abc"',
            "failures": 2,
            "cursor": {"after": [1, 2]},
            "none": None,
        }
        assert store.states() == {"source:hn": store.state("source:hn"), "task:x": {"n": 1}}
        assert store.state("unknown") == {}


def test_set_state_replaces(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        store.set_state("a", {"x": 1})
        store.save()
    with open_store(db) as store:
        store.set_state("a", {"y": 2})
        store.save()
    with open_store(db, write=False) as store:
        assert store.states() == {"a": {"y": 2}}


# Writes


def test_save_with_no_changes_writes_nothing(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 5)
    with open_store(db) as store:
        store.set_state("s", {"a": 1})
        store.save()
    before = db.read_bytes()
    mtime = db.stat().st_mtime_ns
    with open_store(db) as store:
        store.save()
        store.put(make(3))  # identical to what is stored
        store.set_state("s", {"a": 1})  # likewise
        store.save()
        assert store.writes == 0
    assert db.read_bytes() == before
    assert db.stat().st_mtime_ns == mtime


def test_one_save_is_one_write(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 50)
    with open_store(db) as store:
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
    with open_store(db, write=False) as store:
        assert len(list(store.mentions())) == 151
        assert store.get("m000003").status == "todo"


def test_saves_that_add_replace_or_add_nothing_all_leave_an_exact_file(tmp_path):
    # A save that only adds mentions writes the block it read as it is and extends its CRC;
    # a wrong CRC would not fail a load, only slow it down, so check the file itself each time.
    db = tmp_path / "db.json"
    with open_store(db) as store:
        store.set_state("s", {"n": 0})
        store.save()  # no mentions at all
    expected = {}
    steps = [[1], [2, 3], [], [2], [4], [1, 5], [6]]
    with open_store(db) as store:
        for number, step in enumerate(steps):
            for i in step:
                mention = make(i, title=f"step {number}")
                store.put(mention)
                expected[mention.id] = mention
            store.set_state("s", {"n": number + 1})
            store.save()
            assert split_own_file(db.read_bytes()) is not None, step
            with open_store(db, write=False) as reader:
                assert {m.id: m for m in list(reader.mentions())} == expected
                assert reader.state("s") == {"n": number + 1}
        assert store.writes == len(steps)
    with open_store(db) as store:  # and again after a fresh load
        store.put(make(7))
        store.save()
    assert split_own_file(db.read_bytes()) is not None
    with open_store(db, write=False) as store:
        assert len(list(store.mentions())) == 7


def test_nothing_is_saved_implicitly(tmp_path):
    db = tmp_path / "db.json"
    with pytest.raises(RuntimeError), open_store(db) as store:
        store.put(make(1))
        raise RuntimeError("boom")
    assert not db.exists()
    populate(db, 2)
    before = db.read_bytes()
    with open_store(db) as store:
        store.put(make(9))
    assert db.read_bytes() == before


def test_read_only_store_cannot_save(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 2)
    before = db.read_bytes()
    with open_store(db, write=False) as store:
        store.put(make(5))  # a dry run changes its store in memory only
        assert store.get("m000005") == make(5)
        with pytest.raises(StoreError, match="read-only"):
            store.save()
    assert db.read_bytes() == before


def test_a_closed_store_refuses_use(tmp_path):
    with open_store(tmp_path / "db.json") as store:
        pass
    with pytest.raises(StoreError, match="closed"):
        list(store.mentions())


def test_file_permissions_are_kept(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 1)
    db.chmod(0o640)
    with open_store(db) as store:
        store.put(make(2))
        store.save()
    assert db.stat().st_mode & 0o777 == 0o640


def test_values_json_cannot_carry_are_refused_at_put(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        with pytest.raises(TypeError, match="m000001 cannot be stored"):
            store.put(make(1, extra={"tags": {"a", "b"}}))
        with pytest.raises(TypeError):
            store.set_state("s", {"when": object()})
        assert store.get("m000001") is None
        store.save()
        assert store.writes == 0


def test_lone_surrogates_are_replaced(tmp_path):
    db = tmp_path / "db.json"
    with open_store(db) as store:
        store.put(make(1, title="bad \ud800 half", keys=("k\udfff",)))
        store.save()
    with open_store(db, write=False) as store:
        assert store.get("m000001").title == "bad \ufffd half"
        assert store.find_by_keys(["k\ufffd"]).id == "m000001"


# The file format


def test_the_file_opens_with_plain_tinydb(tmp_path):
    db = tmp_path / "db.json"
    mentions = [full_mention(), make(1), make(2)]
    with open_store(db) as store:
        for mention in mentions:
            store.put(mention)
        store.set_state("source:hn", {"etag": "x"})
        store.save()
    tiny = TinyDB(db, access_mode="r")
    try:
        assert sorted(tiny.tables()) == ["_meta", "mentions", "state"]
        assert tiny.table("_meta").all()[0]["schema"] == 1
        assert [dict(d) for d in tiny.table("mentions").all()] == [m.to_dict() for m in mentions]
        assert [dict(d) for d in tiny.table("state").all()] == [{"name": "source:hn", "value": {"etag": "x"}}]
    finally:
        tiny.close()
    assert json.loads(db.read_text("utf-8"))["mentions"]["1"]["title"] == full_mention().title


def test_a_file_tinydb_wrote_is_read_and_rewritten(tmp_path):
    db = tmp_path / "db.json"
    tiny = TinyDB(db)
    tiny.table("_meta").insert({"schema": 1})
    tiny.table("mentions").insert_multiple([make(1).to_dict(), full_mention().to_dict()])
    tiny.table("state").insert({"name": "s", "value": {"a": 1}})
    tiny.close()
    with open_store(db) as store:
        assert store.get("m000001") == make(1)
        assert store.get(full_mention().id) == full_mention()
        assert store.find_by_keys(["hash:abc"]) == full_mention()
        assert store.state("s") == {"a": 1}
        store.save()
        assert store.writes == 0  # reading a file is no change
        store.put(make(2))
        store.save()
    assert split_own_file(db.read_bytes()) is not None
    with open_store(db, write=False) as store:
        assert {m.id for m in list(store.mentions())} == {"m000001", "m000002", full_mention().id}
    tiny = TinyDB(db, access_mode="r")
    assert len(tiny.table("mentions")) == 3
    tiny.close()


def test_the_storage_works_under_tinydb(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 2)
    tiny = TinyDB(db, storage=AtomicJSONStorage)
    tiny.table("mentions").insert(make(5).to_dict())
    assert len(tiny.table("mentions")) == 3
    tiny.close()
    assert split_own_file(db.read_bytes()) is not None  # and still loads the quick way
    with open_store(db, write=False) as store:
        assert store.get("m000005") == make(5)
        assert store.find_by_keys(["guid:blog:5"]) == make(5)
        assert len(list(store.mentions())) == 3


def test_a_file_edited_by_tinydb_is_read_in_full(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 3)
    tiny = TinyDB(db)
    tiny.table("mentions").update({"title": "edited", "keys": ["new-key"]}, doc_ids=[2])
    tiny.close()
    with open_store(db, write=False) as store:
        assert store.get("m000001").title == "edited"
        assert store.find_by_keys(["new-key"]).id == "m000001"
        assert store.find_by_keys(["guid:blog:1"]) is None


def test_a_hand_edit_inside_a_mention_is_noticed(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 3)
    raw = db.read_bytes()
    assert raw.count(b"Post 1 about") == 1
    db.write_bytes(raw.replace(b"Post 1 about", b"Post 1 ABOUT"))
    with open_store(db, write=False) as store:
        assert store.get("m000001").title == "Post 1 ABOUT Widget"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(st.text(), min_size=1, max_size=4),
    keys=st.lists(st.lists(st.text(), max_size=3), min_size=4, max_size=4),
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=4, max_size=4, unique=True),
)
def test_any_text_survives_a_round_trip(titles, keys, ids):
    mentions = [make(i, id=ids[i], title=title, keys=tuple(keys[i])) for i, title in enumerate(titles)]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "db.json"
        with open_store(db) as store:
            for mention in mentions:
                store.put(mention)
            store.save()
        assert split_own_file(db.read_bytes()) is not None
        with open_store(db, write=False) as store:
            assert sorted(list(store.mentions()), key=lambda m: m.id) == sorted(mentions, key=lambda m: m.id)
            for mention in mentions:
                assert store.get(mention.id) == mention
                for key in mention.keys:
                    assert store.find_by_keys([key]) is not None


# Unreadable files


CORRUPT = {
    "truncated": b'{"_meta":{"1":{"schema":1}},"mentions":{"1":{"id":"a","ke',
    "binary junk": bytes(range(256)) * 4,
    "empty": b"",
    "blank": b"  \n",
    "a list": b"[1, 2]",
    "a table that is a list": b'{"_meta": {"1": {"schema": 1}}, "mentions": []}',
    "no schema": b'{"mentions": {}}',
    "schema not a number": b'{"_meta": {"1": {"schema": "1"}}}',
    "mention without id": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"url": "x"}}}',
    "mention not an object": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": 5}}',
    "id twice": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"id": "a"}, "2": {"id": "a"}}}',
    "keys not a list": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"id": "a", "keys": 7}}}',
    "keys a string": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"id": "a", "keys": "ab"}}}',
    "doc id not a number": b'{"_meta": {"1": {"schema": 1}}, "mentions": {"x": {"id": "a"}}}',
    "bad state": b'{"_meta": {"1": {"schema": 1}}, "state": {"1": {"name": 3}}}',
    "extra data": b'{"_meta": {"1": {"schema": 1}}}{"x": 1}',
}


@pytest.mark.parametrize("write", [True, False])
@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_an_unreadable_file_is_reported_and_left_untouched(tmp_path, content, write):
    db = tmp_path / "db.json"
    db.write_bytes(content)
    with pytest.raises(StoreError) as caught, open_store(db, write=write) as store:
        store.save()
    message = str(caught.value)
    assert message.startswith(f"cannot read database {db}: ")
    assert message.endswith("; it was left untouched — fix or move it away")
    assert db.read_bytes() == content
    assert temp_files(tmp_path) == []


def test_a_half_written_file_is_reported(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 20)
    content = db.read_bytes()[: db.stat().st_size // 2]
    db.write_bytes(content)
    with pytest.raises(StoreError, match="not valid JSON"), open_store(db):
        pass
    assert db.read_bytes() == content


def test_a_malformed_mention_is_reported_when_read(tmp_path):
    db = tmp_path / "db.json"
    db.write_bytes(b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"id": "a", "found_at": "never"}}}')
    with open_store(db, write=False) as store, pytest.raises(StoreError, match="mention 'a' is malformed"):
        store.get("a")


@pytest.mark.parametrize("own_layout", [True, False])
def test_a_newer_schema_is_refused(tmp_path, own_layout):
    db = tmp_path / "db.json"
    if own_layout:
        populate(db, 2)
        content = db.read_bytes().replace(b'"schema":1', b'"schema":2', 1)
    else:
        content = b'{"_meta": {"1": {"schema": 2}}, "mentions": {}, "future": {}}'
    db.write_bytes(content)
    with pytest.raises(StoreError) as caught, open_store(db):
        pass
    assert str(caught.value) == (
        f"database {db} has schema version 2, and this mentionscan reads only version 1: "
        "it is too old for this database — upgrade mentionscan"
    )
    assert db.read_bytes() == content


def test_a_folder_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught, open_store(blocker / "db.json"):
        pass
    assert str(caught.value) == (
        f"cannot create folder {blocker} for database {blocker / 'db.json'}: it is not a folder"
    )
    with (
        pytest.raises(StoreError, match=re.escape(f"cannot create folder {blocker / 'sub'} ")),
        open_store(blocker / "sub" / "db.json"),
    ):
        pass


# Locking


HOLD_LOCK = """
import sys
from mentionscan.store import open_store
with open_store(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_writer_waits_then_gives_up(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 1)
    holder = python(HOLD_LOCK, db, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StoreLocked) as caught, open_store(db, lock_timeout=0.2):
            pass
        waited = time.monotonic() - started
        assert 0.2 <= waited < 1.5
        assert str(caught.value) == (
            f"database {db} is in use by another mentionscan run (waited 0.2 s); try again when it ends"
        )
        with open_store(db, write=False) as store:  # readers take no lock
            assert store.get("m000000") == make(0)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with open_store(db, lock_timeout=0.2) as store:
        assert store.get("m000000") == make(0)


def test_a_killed_holder_releases_the_lock(tmp_path):
    db = tmp_path / "db.json"
    holder = python(HOLD_LOCK, db, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.kill()
        holder.wait(timeout=10)
    finally:
        holder.stdin.close()
        holder.stdout.close()
    with open_store(db, lock_timeout=2) as store:
        assert list(store.mentions()) == []


# Crashes and failed saves


SAVE_LOOP = """
import sys
from datetime import datetime, UTC
from mentionscan.models import Mention
from mentionscan.store import open_store

with open_store(sys.argv[1]) as store:
    count = len(list(store.mentions()))
    print(count, flush=True)
    while True:
        store.put(Mention(
            id=f"m{count:06d}", url=f"https://example.com/post/{count}", title="t", snippet="s",
            author=None, author_url=None, author_email=None, published=None,
            found_at=datetime(2026, 1, 1, tzinfo=UTC), source="blog", source_type="rss",
            queries=("q",), keys=(f"k{count}",),
        ))
        store.set_state("loop", {"count": count + 1})
        store.save()
        count += 1
        print(count, flush=True)
"""


def test_killing_a_run_at_any_moment_leaves_the_old_or_the_new_state(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 3000)
    rng = random.Random(1234)
    caught_mid_write = 0
    for _ in range(12):
        child = python(SAVE_LOOP, db, stdout=subprocess.PIPE)
        first = child.stdout.readline()
        assert first.strip().isdigit(), first
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.stdout.close()
        assert child.wait(timeout=10) == -signal.SIGKILL
        saved = int((first + rest).split()[-1])
        caught_mid_write += bool(temp_files(tmp_path))
        with open_store(db, write=False) as store:
            count = len(list(store.mentions()))
            assert count in (saved, saved + 1)
            assert store.state("loop").get("count", 3000) == count
            assert store.find_by_keys([f"k{count - 1}"]) is not None or count == 3000
        tiny = TinyDB(db, access_mode="r")
        assert len(tiny.table("mentions")) == count
        tiny.close()
    with open_store(db):  # a writer clears what killed runs left behind
        pass
    assert temp_files(tmp_path) == []
    print(f"{caught_mid_write} of 12 kills left a temp file")


FILE_SIZE_LIMIT = """
import resource, signal, sys
from mentionscan.errors import StoreError
from mentionscan.models import Mention
from mentionscan.store import open_store

path, limit = sys.argv[1], int(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so that writing past the limit fails with EFBIG
with open_store(path) as store:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    old = store.get("m000001")
    store.put(old.with_event("note", text="x" * 100_000))
    try:
        store.save()
    except StoreError as error:
        print(error)
        sys.exit(0)
sys.exit(3)
"""


def test_a_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path):
    # A real write failure that works even as root: a file size limit (RLIMIT_FSIZE) on the
    # process makes the temp file's write fail part way with EFBIG, like a full disk would.
    db = tmp_path / "db.json"
    populate(db, 200)
    before = db.read_bytes()
    child = python(FILE_SIZE_LIMIT, db, len(before) // 2, stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0, out
    assert out.strip() == f"cannot save database {db}: File too large"
    assert db.read_bytes() == before
    assert temp_files(tmp_path) == []


# A read-only folder at save time is tested end to end, as root too, in
# tests/test_hardening_state.py (the child drops the capabilities that let root write anyway).


def test_stale_temp_files_are_removed_by_the_next_writer(tmp_path):
    db = tmp_path / "db.json"
    populate(db, 1)
    stale = tmp_path / ".db.json.abc123.tmp"
    stale.write_bytes(b"half")
    other = tmp_path / ".other.json.abc.tmp"
    other.write_bytes(b"not ours")
    with open_store(db, write=False):
        assert stale.exists()  # readers hold no lock, so they leave it alone
    with open_store(db):
        pass
    assert not stale.exists()
    assert other.exists()
