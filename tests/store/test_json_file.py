"""The JSON backend's file: TinyDB's layout, the fast load, unreadable files, kills and failed saves."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinydb import TinyDB

from mentionscan.errors import StoreError
from mentionscan.models import Mention
from mentionscan.store import MentionFilter, Order, open_store
from mentionscan.store.docs import ordered
from mentionscan.store.interface import select
from mentionscan.store.jsonfile import AtomicJSONStorage, Block, encode, mention_line, split_own_file
from tests.store.tools import T0, full_mention, make, populate, python, store_all, temp_files


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
def test_any_text_leaves_a_file_the_fast_load_reads(titles, keys, ids):
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


@pytest.mark.slow
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


# The fast load


def test_opening_parses_only_ids_and_keys(tmp_path, monkeypatch):
    db = tmp_path / "db.json"
    populate(db, 500)
    parsed = []
    real = Mention.from_dict
    monkeypatch.setattr(
        Mention, "from_dict", classmethod(lambda cls, doc: parsed.append(doc["id"]) or real(doc))
    )
    with open_store(db) as store:
        assert store.find_by_keys(["guid:blog:42"]) == make(42)
        assert store.get("m000007") == make(7)
        store.put(make(600))
        store.save()
        assert parsed == ["m000042", "m000007"]  # what a fetch asks parses what it reads, no more
        assert store.count(MentionFilter(sources=("blog",))) == 501  # a query parses every mention, once
        assert store.count(MentionFilter(words=("post",))) == 501
        assert len(parsed) == 2 + 501


def test_a_query_with_a_limit_builds_only_the_mentions_it_returns(tmp_path, monkeypatch):
    # The inbox's first page: the 200 newest open mentions of 10,000 in a second would be 10,000
    # mentions built to keep 200. Views of the documents read what the filter and order ask.
    db = tmp_path / "db.json"
    statuses = ("new", "todo", "resolved")
    mentions = [make(i, status=statuses[i % 3], published=T0 - timedelta(hours=i % 7)) for i in range(300)]
    store_all(str(db), mentions)
    page = MentionFilter(statuses=("new", "todo"), limit=20)
    expected = select(mentions, page)
    built = []
    real = Mention.from_dict
    monkeypatch.setattr(
        Mention, "from_dict", classmethod(lambda cls, doc: built.append(doc["id"]) or real(doc))
    )
    with open_store(db, write=False) as store:
        assert list(store.mentions(page)) == expected
        assert built == [m.id for m in expected]  # 20 of 300
        assert list(store.mentions(replace(page, order=Order.DUE))) == select(
            mentions, replace(page, order=Order.DUE)
        )
        assert store.get("m000007") == mentions[7]  # a lookup after it, as the fast load answers it
        assert list(store.mentions(page)) == expected  # and a query after the lookup


def test_a_query_after_a_save_reads_what_was_saved(tmp_path):
    db = tmp_path / "db.json"
    populate(str(db), 5)
    with open_store(db) as store:
        store.set_state("task:blog", {"etag": '"v2"'})
        store.save()  # state alone: the mentions are still the file's as read
        assert [m.id for m in store.mentions(MentionFilter(limit=2))] == ["m000004", "m000003"]
        store.put(make(3, title="Edited", found_at=T0 + timedelta(days=1)))
        store.save()
        assert [m.title for m in store.mentions(MentionFilter(limit=1))] == ["Edited"]
        assert [m.id for m in store.mentions(MentionFilter(limit=3, order=Order.STORED))] == [
            "m000000",
            "m000001",
            "m000002",
        ]


def test_a_file_with_its_mentions_out_of_order_reads_in_doc_id_order(tmp_path):
    db = tmp_path / "db.json"
    docs = {str(n): {**make(n, keys=("shared",)).to_dict()} for n in (3, 1, 2)}
    db.write_text(json.dumps({"_meta": {"1": {"schema": 1}}, "mentions": docs}))
    with open_store(db) as store:
        assert [m.id for m in store.mentions()] == ["m000001", "m000002", "m000003"]
        assert store.find_by_keys(["shared"]).id == "m000001"  # stored first, as TinyDB numbers them
        store.put(make(4))
        store.save()
    assert split_own_file(db.read_bytes()) is not None
    with open_store(db, write=False) as store:
        assert [m.id for m in store.mentions()] == ["m000001", "m000002", "m000003", "m000004"]


def test_a_run_that_only_saves_state_leaves_the_mentions_byte_for_byte_and_still_finds_them(tmp_path):
    # A run whose feeds all answer 304 looks nothing up: its save writes the mentions as read.
    db = tmp_path / "db.json"
    populate(db, 5)
    before = db.read_bytes()
    mentions_part = before[before.index(b'"mentions":{') :]
    with open_store(db) as store:
        store.set_state("task:blog", {"etag": '"v2"'})
        store.save()
        assert store.find_by_keys(["guid:blog:3"]).id == "m000003"
        assert store.get("m000004").title == "Post 4 about Widget"
    after = db.read_bytes()
    assert after[after.index(b'"mentions":{') :] == mentions_part
    assert split_own_file(after) is not None
    with open_store(db, write=False) as store:
        assert store.state("task:blog") == {"etag": '"v2"'}
        assert store.count() == 5


def test_a_file_in_our_layout_whose_lines_are_out_of_order_is_read_whole_when_first_asked(tmp_path):
    # Its CRC is right, so it is taken as ours; indexing it (at the first lookup) finds otherwise.
    db = tmp_path / "db.json"
    docs = {str(n): make(n, keys=("shared",)).to_dict() for n in (3, 1, 2)}
    lines = [mention_line(doc_id, ordered(doc)) for doc_id, doc in docs.items()]
    db.write_bytes(b"".join(encode({"_meta": {"1": {"schema": 1}}}, Block.of(lines))))
    assert split_own_file(db.read_bytes()) is not None
    with open_store(db) as store:
        assert store.find_by_keys(["shared"]).id == "m000001"
        assert [m.id for m in store.mentions()] == ["m000001", "m000002", "m000003"]
        store.put(make(4))
        store.save()
    with open_store(db, write=False) as store:
        assert [m.id for m in store.mentions()] == ["m000001", "m000002", "m000003", "m000004"]


def test_a_file_in_our_layout_whose_lines_are_out_of_order_is_queried_in_doc_id_order(tmp_path):
    db = tmp_path / "db.json"
    docs = {str(n): make(n).to_dict() for n in (3, 1, 2)}
    lines = [mention_line(doc_id, ordered(doc)) for doc_id, doc in docs.items()]
    db.write_bytes(b"".join(encode({"_meta": {"1": {"schema": 1}}}, Block.of(lines))))
    stored_order = MentionFilter(limit=2, order=Order.STORED)
    with open_store(db, write=False) as store:  # a query first, before any lookup
        assert [m.id for m in store.mentions(stored_order)] == ["m000001", "m000002"]
        assert [m.id for m in store.mentions(replace(stored_order, limit=None))] == [
            "m000001",
            "m000002",
            "m000003",
        ]
