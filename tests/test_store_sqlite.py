"""The SQLite backend: the store's shared behaviour run against both backends, then SQLite's own.

Each shared test gets a `location` for a database in tmp_path, once as a JSON path and once as
`sqlite:///...`; both must answer the same, so that a user can switch (or migrate) without
noticing anything but the speed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentionscan.errors import NotFound, StoreError, StoreLocked
from mentionscan.models import Mention
from mentionscan.store import database_path, open_store
from tests.test_store import HOLD_LOCK, full_mention, make, python, temp_files

BACKENDS = ("json", "sqlite")


def location_in(folder: Path, backend: str, name: str = "db") -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / (name + '.sqlite')}"
    return str(folder / (name + ".json"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def location(tmp_path, backend) -> str:
    return location_in(tmp_path, backend)


def path_of(location: str) -> Path:
    return database_path(location)


def populate(location: str, count: int, start: int = 0) -> list[Mention]:
    mentions = [make(i) for i in range(start, start + count)]
    with open_store(location) as store:
        for mention in mentions:
            store.put(mention)
        store.save()
    return mentions


# Shared behaviour


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


def test_a_missing_file_is_an_empty_store_and_stays_missing(tmp_path, backend):
    location = location_in(tmp_path / "new" / "folder", backend)
    with open_store(location) as store:
        assert list(store.mentions()) == []
        assert store.get("x") is None
        assert store.find_by_keys(["k"]) is None
        assert store.states() == {}
        assert store.count() == 0
        store.save()
        assert store.writes == 0
    assert not path_of(location).exists()
    with open_store(location, write=False) as store:
        assert list(store.mentions()) == []


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
        store.save()
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
    with pytest.raises(NotFound) as caught:
        ids_store.resolve("abd")
    assert str(caught.value) == "id prefix 'abd' is ambiguous: abd4…, abd7…"


@pytest.mark.parametrize("unknown", ["zzz", "", "abc1234", "\ud800"])
def test_resolve_unknown(ids_store, unknown):
    with pytest.raises(NotFound) as caught:
        ids_store.resolve(unknown)
    assert str(caught.value) == f"no mention with id {unknown!r}"


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


def test_save_with_no_changes_writes_nothing(location):
    populate(location, 5)
    with open_store(location) as store:
        store.set_state("s", {"a": 1})
        store.save()
    path = path_of(location)
    before = path.read_bytes()
    with open_store(location) as store:
        store.save()
        store.put(make(3))  # identical to what is stored
        store.set_state("s", {"a": 1})  # likewise
        store.save()
        assert store.writes == 0
    assert path.read_bytes() == before


def test_one_save_is_one_write(location):
    populate(location, 50)
    with open_store(location) as store:
        for i in range(50, 150):
            store.put(make(i))
        store.put(make(3, status="todo"))
        store.set_state("a", {"n": 1})
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


def test_nothing_is_saved_implicitly(location):
    with pytest.raises(RuntimeError), open_store(location) as store:
        store.put(make(1))
        raise RuntimeError("boom")
    assert not path_of(location).exists()
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
    before = path_of(location).read_bytes()
    with open_store(location, write=False) as store:
        store.put(make(5))  # a dry run changes its store in memory only
        assert store.get("m000005") == make(5)
        with pytest.raises(StoreError, match="read-only"):
            store.save()
    assert path_of(location).read_bytes() == before
    with open_store(location, write=False) as store:
        assert store.get("m000005") is None


def test_a_closed_store_refuses_use(location):
    with open_store(location) as store:
        pass
    with pytest.raises(StoreError, match="closed"):
        list(store.mentions())


def test_file_permissions_are_kept_and_a_new_file_is_private(location):
    populate(location, 1)
    path = path_of(location)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o640)
    populate(location, 1, start=2)
    assert path.stat().st_mode & 0o777 == 0o640


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
        store.save()
    with open_store(location, write=False) as store:
        assert store.get("m000001").title == "bad \ufffd half"
        assert store.find_by_keys(["k\ufffd"]).id == "m000001"
        assert store.find_by_keys(["k\udfff"]) is None
        assert store.get("m\ud800") is None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(st.text(), min_size=1, max_size=4),
    keys=st.lists(st.lists(st.text(), max_size=3), min_size=4, max_size=4),
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=4, max_size=4, unique=True),
)
def test_any_text_survives_a_round_trip_in_sqlite(titles, keys, ids):
    mentions = [make(i, id=ids[i], title=title, keys=tuple(keys[i])) for i, title in enumerate(titles)]
    with tempfile.TemporaryDirectory() as folder:
        location = f"sqlite:///{folder}/db.sqlite"
        with open_store(location) as store:
            for mention in mentions:
                store.put(mention)
            store.save()
        with open_store(location, write=False) as store:
            assert sorted(list(store.mentions()), key=lambda m: m.id) == sorted(mentions, key=lambda m: m.id)
            for mention in mentions:
                assert store.get(mention.id) == mention
                assert store.resolve(mention.id) == mention
                for key in mention.keys:
                    found = store.find_by_keys([key])
                    first = next(m for m in mentions if key in m.keys)
                    assert found == first


def test_a_newer_schema_is_refused(tmp_path):
    location = location_in(tmp_path, "sqlite")
    populate(location, 2)
    path = path_of(location)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = 3 WHERE key = 'schema'")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert str(caught.value) == (
        f"database {path} has schema version 3, and this mentionscan reads only version 2: "
        "it is too old for this database — upgrade mentionscan"
    )
    assert path.read_bytes() == before


def test_a_folder_that_cannot_be_created_is_named(tmp_path, backend):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    location = location_in(blocker, backend)
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert (
        str(caught.value)
        == f"cannot create folder {blocker} for database {path_of(location)}: it is not a folder"
    )


def test_a_second_writer_waits_then_gives_up_and_readers_go_on(location):
    populate(location, 1)
    holder = python(HOLD_LOCK, location, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StoreLocked) as caught, open_store(location, lock_timeout=0.2):
            pass
        assert 0.2 <= time.monotonic() - started < 1.5
        assert str(caught.value) == (
            f"database {path_of(location)} is in use by another mentionscan run (waited 0.2 s); "
            "try again when it ends"
        )
        with open_store(location, write=False) as store:  # readers take no lock
            assert store.get("m000000") == make(0)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with open_store(location, lock_timeout=0.2) as store:
        assert store.get("m000000") == make(0)


# SQLite's own


def sqlite_location(tmp_path: Path) -> str:
    return location_in(tmp_path, "sqlite")


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
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == 2
        docs = [json_loads(doc) for (doc,) in conn.execute("SELECT doc FROM mentions ORDER BY seq")]
        assert docs == [m.to_dict() for m in mentions]
        assert list(docs[0])[:2] == ["id", "keys"]  # the JSON backend's order, field for field
        keys = set(conn.execute("SELECT key FROM mention_keys"))
        assert keys == {(k,) for m in mentions for k in m.keys}
        assert conn.execute("SELECT name, value FROM state").fetchall() == [("source:hn", '{"etag":"x"}')]
        (index,) = conn.execute("EXPLAIN QUERY PLAN SELECT seq FROM mention_keys WHERE key = 'x'").fetchall()
        assert "USING PRIMARY KEY" in index[-1] or "USING COVERING INDEX" in index[-1]
    finally:
        conn.close()


def json_loads(text: str) -> dict:
    import json

    return json.loads(text)


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
