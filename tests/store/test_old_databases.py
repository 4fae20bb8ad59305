"""The contract, versions: a database the version before schema 2 wrote opens and answers every query.

Read-only it is read as it is; opened for writing it may be upgraded, and then it answers the
same. The files are made in the test from that version's own layout (`tools.SCHEMA_1_WRITERS`).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mentionscan.store import open_store
from mentionscan.store.interface import select
from tests.store.corpus import corpus
from tests.store.test_queries import CASES, changes
from tests.store.tools import SCHEMA_1_WRITERS, full_mention, path_of

STATES = {"source:hn": {"etag": '"v1"', "failures": 0}, "task:blog": {"cursor": [1, 2]}}


@pytest.fixture(params=sorted(SCHEMA_1_WRITERS))
def backend(request: pytest.FixtureRequest) -> str:
    """Only the backends that had an older schema to be read (not PostgreSQL, new at its schema 1)."""
    return str(request.param)


@pytest.fixture
def old_database(location, backend) -> str:
    SCHEMA_1_WRITERS[backend](path_of(location), [*corpus(), full_mention()], STATES)
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


def test_an_old_database_takes_changes_and_answers_as_a_new_one(old_database, location):
    with open_store(old_database) as store:
        for mention in changes():
            store.put(mention)
        store.save()
    fresh = location.replace("db.", "fresh.")
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
    assert f"upgrading database {path} (schema 1 to 2, 1 mention)" in noted.stderr
    again = cli("note", mention.id, "seen again", "--db", location)
    assert "upgrading" not in again.stderr  # once
