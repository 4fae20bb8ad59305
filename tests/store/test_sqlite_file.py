"""The SQLite backend's file: WAL, its columns and words, schema 1 upgraded in place, damage, kills."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from mentionscan.errors import StoreError
from mentionscan.store import MentionFilter, database_path, open_store
from tests.store.corpus import corpus
from tests.store.tools import (
    check_sqlite_rows,
    full_mention,
    location_in,
    make,
    path_of,
    populate,
    python,
    temp_files,
    write_schema_1_sqlite,
)


def sqlite_location(tmp_path: Path) -> str:
    return location_in(tmp_path, "sqlite")


def test_a_newer_schema_is_refused(tmp_path):
    location = location_in(tmp_path, "sqlite")
    populate(location, 2)
    path = path_of(location)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = 4 WHERE key = 'schema'")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert str(caught.value) == (
        f"database {path} has schema version 4, and this mentionscan reads only version 3: "
        "it is too old for this database — upgrade mentionscan"
    )
    assert path.read_bytes() == before


# SQLite's own


def test_the_file_is_a_wal_database_with_the_same_records_as_the_json_store(tmp_path):
    location = sqlite_location(tmp_path)
    mentions = [full_mention(), make(1), make(2)]
    with open_store(location) as store:
        for mention in mentions:
            store.put(mention)
        store.set_state("source:hn", {"etag": "x"})
        store.save()
    conn = sqlite3.connect(path_of(location))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == 3
        docs = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM mentions ORDER BY seq")]
        assert docs == [m.to_dict() for m in mentions]
        assert list(docs[0])[:2] == ["id", "keys"]  # the JSON backend's order, field for field
        keys = set(conn.execute("SELECT key FROM mention_keys"))
        assert keys == {(k,) for m in mentions for k in m.keys}
        assert conn.execute("SELECT name, value FROM state").fetchall() == [("source:hn", '{"etag":"x"}')]
        (index,) = conn.execute("EXPLAIN QUERY PLAN SELECT seq FROM mention_keys WHERE key = 'x'").fetchall()
        assert "USING PRIMARY KEY" in index[-1] or "USING COVERING INDEX" in index[-1]
    finally:
        conn.close()


CORRUPT = {
    "empty": b"",
    "text": b"mentions, not a database\n",
    "json": b'{"_meta": {"1": {"schema": 1}}, "mentions": {}}',
    "junk after the magic": b"SQLite format 3\x00" + bytes(range(256)) * 16,
}


@pytest.mark.parametrize("write", [True, False])
@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_an_unreadable_file_is_reported_and_left_untouched(tmp_path, content, write):
    location = sqlite_location(tmp_path)
    path = path_of(location)
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught, open_store(location, write=write) as store:
        store.put(make(1))
        store.save()
    message = str(caught.value)
    assert message.startswith(f"cannot read database {path}: ")
    assert message.endswith("; it was left untouched — fix or move it away")
    assert path.read_bytes() == content


def other_sqlite_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("write", [True, False])
def test_another_programs_database_is_refused_and_left_untouched(tmp_path, write):
    location = sqlite_location(tmp_path)
    path = path_of(location)
    other_sqlite_database(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, open_store(location, write=write) as store:
        store.save()
    assert str(caught.value) == (
        f"cannot read database {path}: it has no schema version (table meta); is it a mentionscan "
        "database?; it was left untouched — fix or move it away"
    )
    assert path.read_bytes() == before


def test_a_damaged_page_is_reported(tmp_path):
    location = sqlite_location(tmp_path)
    populate(location, 300)
    path = path_of(location)
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[page * 3 : page * 6] = b"\xff" * (page * 3)  # scribble over some b-tree pages
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match=rf"^cannot read database {path}: "), open_store(location) as store:
        list(store.mentions())


def test_a_malformed_stored_mention_is_reported_when_read(tmp_path):
    location = sqlite_location(tmp_path)
    populate(location, 2)
    with sqlite3.connect(path_of(location)) as conn:
        conn.execute('UPDATE mentions SET doc = \'{"id": "m000001", "found_at": "never"}\' WHERE seq = 2')
    conn.close()
    with (
        open_store(location, write=False) as store,
        pytest.raises(StoreError, match="mention 'm000001' is malformed"),
    ):
        store.get("m000001")


def test_an_sqlite_location_must_have_a_path(tmp_path):
    with (
        pytest.raises(StoreError, match=r"an SQLite location is sqlite:///path/to/mentions.db"),
        open_store("sqlite://x"),
    ):
        pass


def test_relative_and_absolute_sqlite_locations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert database_path("sqlite:///rel/m.db") == Path("rel/m.db")
    assert database_path(f"sqlite:///{tmp_path}/m.db") == tmp_path / "m.db"
    populate("sqlite:///rel/m.db", 1)
    assert (tmp_path / "rel" / "m.db").is_file()


def test_a_reader_sees_the_last_save_while_a_writer_works(tmp_path):
    location = sqlite_location(tmp_path)
    populate(location, 3)
    with open_store(location) as writer:
        writer.put(make(10))
        with open_store(location, write=False) as reader:
            assert reader.get("m000010") is None
            assert reader.count() == 3
        writer.save()
        with open_store(location, write=False) as reader:
            assert reader.get("m000010") == make(10)


SAVE_LOOP = """
import sys
from datetime import datetime, UTC
from mentionscan.models import Mention
from mentionscan.store import open_store

with open_store(sys.argv[1]) as store:
    count = store.count()
    print(count, flush=True)
    while True:
        for n in range(count, count + 50):
            store.put(Mention(
                id=f"m{n:06d}", url=f"https://example.com/post/{n}", title="t" * 500, snippet="s",
                author=None, author_url=None, author_email=None, published=None,
                found_at=datetime(2026, 1, 1, tzinfo=UTC), source="blog", source_type="rss",
                queries=("q",), keys=(f"k{n}",),
            ))
        count += 50
        store.set_state("loop", {"count": count})
        store.save()
        print(count, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("first_save", [False, True])
def test_killing_a_run_at_any_moment_leaves_the_old_or_the_new_state(tmp_path, first_save):
    location = sqlite_location(tmp_path)
    for round_ in range(6):
        if not first_save and round_ == 0:
            populate(location, 1000)
        child = python(SAVE_LOOP, location, stdout=subprocess.PIPE)
        first = child.stdout.readline()
        assert first.strip().isdigit(), first
        time.sleep(0.05 * round_)
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.stdout.close()
        assert child.wait(timeout=10) == -signal.SIGKILL
        saved = int((first + rest).split()[-1])
        if first_save and saved == 0 and not path_of(location).exists():
            continue  # killed before its first save: no file, not half of one
        with open_store(location, write=False) as store:
            count = store.count()
            assert count in (saved, saved + 50)
            assert store.state("loop").get("count", 1000 if not first_save else 0) == count
            if count:
                assert store.find_by_keys([f"k{count - 1}"]) is not None or count == 1000
        if first_save:
            break
    assert temp_files(tmp_path) == [] or all(name.endswith(".tmp") for name in temp_files(tmp_path))
    with open_store(location):  # a writer clears temp files killed runs left behind
        pass
    assert temp_files(tmp_path) == []


FILE_SIZE_LIMIT = """
import resource, signal, sys
from mentionscan.errors import StoreError
from mentionscan.store import open_store

location, limit = sys.argv[1], int(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so that writing past the limit fails with EFBIG
with open_store(location) as store:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    for n in range(1, 200):
        old = store.get(f"m{n:06d}")
        store.put(old.with_event("note", text="x" * 20_000))
    try:
        store.save()
    except StoreError as error:
        print(error)
        sys.exit(0)
sys.exit(3)
"""


def test_a_failed_save_leaves_the_old_data(tmp_path):
    # A real write failure that works even as root: a file size limit makes the WAL write fail
    # with EFBIG part way, like a full disk would.
    location = sqlite_location(tmp_path)
    populate(location, 200)
    path = path_of(location)
    child = python(FILE_SIZE_LIMIT, location, path.stat().st_size + 100_000, stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0, out
    assert out.startswith(f"cannot save database {path}: ")
    with open_store(location, write=False) as store:
        assert store.count() == 200
        assert all(m.timeline == () for m in list(store.mentions()))


def test_a_new_database_is_created_whole(tmp_path):
    location = sqlite_location(tmp_path / "fresh")
    with open_store(location) as store:
        store.put(make(1))
        store.save()
        names = os.listdir(tmp_path / "fresh")
        assert "db.sqlite" in names
        assert [n for n in names if n.endswith(".tmp")] == []
        store.put(make(2))  # and the store goes on working on the new file
        store.save()
        assert store.writes == 2
    with open_store(location, write=False) as store:
        assert [m.id for m in list(store.mentions())] == ["m000001", "m000002"]


# Schema 2: what each mention's row holds


def test_each_row_holds_the_columns_queries_and_words_of_its_mention(tmp_path):
    location = sqlite_location(tmp_path)
    mentions = [*corpus(), full_mention()]
    populate_with(location, mentions)
    check_sqlite_rows(path_of(location), mentions)
    conn = sqlite3.connect(path_of(location))
    try:
        (seq,) = conn.execute("SELECT seq FROM mentions WHERE id = 'm000001'").fetchone()
        found = conn.execute("SELECT rowid FROM mention_words WHERE mention_words MATCH '\"strasse\"'")
        assert found.fetchall() == [(seq,)]  # "Straße", folded
    finally:
        conn.close()
    changed = [m.with_event("status", "contacted", status="contacted") for m in mentions[:3]]
    populate_with(location, changed)
    check_sqlite_rows(path_of(location), changed + mentions[3:])


def populate_with(location: str, mentions: list) -> None:
    with open_store(location) as store:
        for mention in mentions:
            store.put(mention)
        store.save()


# Schema 1, upgraded in place


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def schema_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    finally:
        conn.close()


def test_a_schema_1_database_is_upgraded_in_place_on_the_first_write(tmp_path):
    location = sqlite_location(tmp_path)
    path = path_of(location)
    mentions = [*corpus(), full_mention()]
    write_schema_1_sqlite(path, mentions, {"source:hn": {"etag": "x"}})
    before = dump(path)
    with open_store(location, write=False) as store:
        assert store.schema == 1
    assert dump(path) == before  # reading never upgrades
    with open_store(location) as store:
        assert store.schema == 3
        assert store.count() == len(mentions)
    assert schema_of(path) == 3
    check_sqlite_rows(path, mentions)
    assert [line for line in dump(path) if "mention_keys" in line and "INSERT" in line] == [
        line for line in before if "mention_keys" in line and "INSERT" in line
    ]


UPGRADE_THEN_WAIT = """
import sys, time
from mentionscan.store import open_store, sqlite_schema

fill = sqlite_schema.fill

def fill_then_wait(conn, path):
    fill(conn, path)
    print("filled", flush=True)
    time.sleep(60)

sqlite_schema.fill = fill_then_wait
with open_store(sys.argv[1]):
    pass
"""


@pytest.mark.slow
def test_a_run_killed_during_the_upgrade_leaves_schema_1(tmp_path):
    location = sqlite_location(tmp_path)
    path = path_of(location)
    mentions = [make(n) for n in range(2000)]
    write_schema_1_sqlite(path, mentions, {"s": {"n": 1}})
    before = dump(path)
    child = python(UPGRADE_THEN_WAIT, location, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == "filled"  # every row has its columns, uncommitted
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.stdout.close()
    assert dump(path) == before
    with open_store(location, write=False) as store:
        assert store.schema == 1
        assert store.count(MentionFilter(found_since=mentions[1000].found_at)) == 1000
    with open_store(location) as store:  # the next run upgrades it
        assert store.schema == 3
    check_sqlite_rows(path, mentions)


def test_an_upgrade_that_cannot_read_a_mention_leaves_the_database_as_it_was(tmp_path):
    location = sqlite_location(tmp_path)
    path = path_of(location)
    write_schema_1_sqlite(path, [make(0), make(1)], {})
    with sqlite3.connect(path) as conn:
        conn.execute("""UPDATE mentions SET doc = '{"id": "m000001", "found_at": "never"}' WHERE seq = 2""")
    conn.close()
    before = dump(path)
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert str(caught.value).startswith(f"cannot read database {path}: mention 'm000001' is malformed")
    assert str(caught.value).endswith("; it was left untouched — fix or move it away")
    assert dump(path) == before
    with open_store(location, write=False) as store:
        assert store.get("m000000") == make(0)
