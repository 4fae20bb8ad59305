"""The contract, versions: a database an older version wrote opens and answers every query.

Read-only it is read as it is; opened for writing it may be upgraded, and then it answers the
same. The files are made in the test from each version's own layout (`tools.OLD_WRITERS`): the
SQLite files of schema 1 (no columns) and schema 2 (words of title, snippet and text only).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mentionscan.store import open_store
from mentionscan.store.interface import select
from tests.store.corpus import corpus
from tests.store.test_queries import CASES, changes
from tests.store.tools import OLD_WRITERS, full_mention, location_in, path_of

STATES = {"source:hn": {"etag": '"v1"', "failures": 0}, "task:blog": {"cursor": [1, 2]}}


# Every (backend, schema) an older version wrote: JSON never changed its schema.
OLD = [(backend, version) for backend, writers in OLD_WRITERS.items() for version in writers]


@pytest.fixture(params=OLD, ids=[f"{backend} schema {version}" for backend, version in OLD])
def old_database(request, tmp_path) -> str:
    backend, version = request.param
    location = location_in(tmp_path, backend)
    OLD_WRITERS[backend][version](path_of(location), [*corpus(), full_mention()], STATES)
    return location


def answers(store) -> dict:
    """Everything a user can ask of a store, as plain values."""
    keys = ["author:zoe unicode", "author:writer", "site:forum.example.org", "author:zoe unicode"]
    return {
        "cases": {name: [m.id for m in store.mentions(selection)] for name, (selection, _) in CASES.items()},
        "counts": {name: store.count(selection) for name, (selection, _) in CASES.items()},
        "authors": {k: (s.mentions, s.last_contacted) for k, s in store.authors(keys).items()},
        "every": [m.to_dict() for m in store.mentions()],
        "count": store.count(),
        "states": store.states(),
        "resolved": store.resolve("f00d").id,
        "by key": store.find_by_keys(["hash:abc"]).id,
    }


def expected() -> dict:
    mentions = [*corpus(), full_mention()]
    keys = ["author:zoe unicode", "author:writer", "site:forum.example.org"]
    authors = {}
    for key in keys:
        theirs = [m for m in mentions if m.author_key == key]
        contacts = [m.last_contacted for m in theirs if m.last_contacted]
        authors[key] = (len(theirs), max(contacts, default=None))
    return {
        "cases": {name: [m.id for m in select(mentions, s)] for name, (s, _) in CASES.items()},
        "counts": {name: len(select(mentions, replace(s, limit=None))) for name, (s, _) in CASES.items()},
        "authors": authors,
        "every": [m.to_dict() for m in mentions],
        "count": len(mentions),
        "states": STATES,
        "resolved": full_mention().id,
        "by key": full_mention().id,
    }


@pytest.mark.parametrize("write", [False, True])
def test_an_old_database_answers_every_query(old_database, write):
    with open_store(old_database, write=write) as store:
        assert answers(store) == expected()


def test_an_old_database_read_only_is_left_as_it_was(old_database):
    path = path_of(old_database)
    before = path.read_bytes()
    with open_store(old_database, write=False) as store:
        answers(store)
    assert path.read_bytes() == before


def test_an_old_database_takes_changes_and_answers_as_a_new_one(old_database):
    with open_store(old_database) as store:
        for mention in changes():
            store.put(mention)
        store.save()
    fresh = old_database.replace("db.", "fresh.")
    with open_store(fresh) as store:
        for mention in [*corpus(), full_mention(), *changes()]:
            store.put(mention)
        for name, value in STATES.items():
            store.set_state(name, value)
        store.save()
    with open_store(old_database, write=False) as old, open_store(fresh, write=False) as new:
        assert answers(old) == answers(new)
        assert old.schema == new.schema


def test_the_cli_says_before_it_upgrades_an_old_sqlite_database(tmp_path, cli) -> None:
    from tests.store.tools import make, write_schema_1_sqlite

    path = tmp_path / "old.db"
    mention = make(1)
    write_schema_1_sqlite(path, [mention], {})
    location = f"sqlite:///{path}"
    read = cli("list", "--all", "--db", location, "--format", "json")
    assert read.exit_code == 0 and "upgrading" not in read.stderr  # reading never upgrades
    noted = cli("note", mention.id, "seen", "--db", location)
    assert noted.exit_code == 0, noted.stderr
    assert f"upgrading database {path} (schema 1 to 3, 1 mention)" in noted.stderr
    again = cli("note", mention.id, "seen again", "--db", location)
    assert "upgrading" not in again.stderr  # once


def test_a_schema_2_database_finds_notes_before_and_after_its_upgrade(tmp_path, cli) -> None:
    import sqlite3

    from mentionscan.models import Event
    from tests.store.tools import make, write_schema_2_sqlite

    path = tmp_path / "two.db"
    noted = make(1, timeline=(Event(make(1).found_at, "note", "promised a callback"),), author="Ana Ruíz")
    write_schema_2_sqlite(path, [noted, make(2)], {})
    location = f"sqlite:///{path}"
    for words, expected in (("callback", [noted.id]), ("ruiz", [noted.id]), ("post", [make(2).id, noted.id])):
        found = cli.json("search", words, "--db", location, "--format", "json")
        assert [r["id"] for r in found] == expected, words  # read as it is: schema 2's words lack notes
    assert "upgrading" not in cli("search", "callback", "--db", location).stderr

    changed = cli("note", make(2).id, "asked about exports", "--db", location)
    assert changed.exit_code == 0, changed.stderr
    assert f"upgrading database {path} (schema 2 to 3, 2 mentions)" in changed.stderr
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == 3
        hits = conn.execute("SELECT rowid FROM mention_words WHERE mention_words MATCH 'callback'").fetchall()
        assert hits == [(1,)]  # the words are kept again, with the notes
    finally:
        conn.close()
    assert [r["id"] for r in cli.json("search", "exports", "--db", location, "--format", "json")] == [
        make(2).id
    ]
    assert [r["id"] for r in cli.json("search", "callback", "--db", location, "--format", "json")] == [
        noted.id
    ]
