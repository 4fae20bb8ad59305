"""How a PostgreSQL database is opened and read in few round trips, and still told apart when it
is not (or not wholly) a mentionscan database; fetch threads claiming their tasks together."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mentionscan.errors import StoreError
from mentionscan.store import open_store
from mentionscan.store.interface import MentionFilter
from tests import pgtools
from tests.store.tools import make, populate, store_all

pytestmark = pytest.mark.postgres


@pytest.fixture
def location() -> str:
    return pgtools.database_url()


def test_a_new_database_opens_empty_and_a_foreign_or_damaged_one_is_named(location: str) -> None:
    with open_store(location, write=False) as store:
        assert list(store.mentions()) == [] and store.schema is None
    with pgtools.connect(location, autocommit=True) as conn:
        conn.execute("CREATE TABLE mentions (id text)")
    with pytest.raises(StoreError, match="has tables but no meta table: is it a mentionscan database"):
        open_store(location, write=False).__enter__()


def test_a_database_missing_one_of_its_tables_is_named(location: str) -> None:
    populate(location, 2)
    with pgtools.connect(location, autocommit=True) as conn:
        conn.execute("DROP TABLE mention_queries")
    with pytest.raises(StoreError, match="has no table mention_queries; is it a mentionscan database"):
        open_store(location, write=False).__enter__()


def test_states_are_read_when_asked_for_and_a_page_reads_like_the_whole(location: str) -> None:
    store_all(location, [make(i) for i in range(30)], {"digest": {"sent": 3}})
    with open_store(location, write=False) as store:
        every = [m.id for m in store.mentions(MentionFilter(statuses=("new",)))]
        page = [m.id for m in store.mentions(MentionFilter(statuses=("new",), limit=20))]
        assert page == every[:20] and len(every) == 30
        assert store.state("digest") == {"sent": 3}
    with pgtools.connect(location, autocommit=True) as conn:
        conn.execute("UPDATE state SET value = 'not json' WHERE name = 'digest'")
    with open_store(location, write=False) as store:
        assert len(list(store.mentions(MentionFilter(limit=5)))) == 5  # `list` needs no state
        with pytest.raises(StoreError, match="state 'digest' is malformed"):
            store.state("digest")


def test_fetch_threads_waiting_to_claim_are_answered_by_one_statement_each_task_to_one_worker(
    location: str,
) -> None:
    populate(location, 1)
    keys = [f"blog{n}" for n in range(24)]
    won: dict[str, list[str]] = {key: [] for key in keys}
    with open_store(location) as one, open_store(location) as two:
        teams = {"one": one.team(lease=30), "two": two.team(lease=30)}
        claims: dict[str, int] = {}
        for name, team in teams.items():
            team.offer(keys)
            statements: list[Any] = []
            counted = team._conn.execute  # type: ignore[attr-defined]

            def execute(query: Any, *args: Any, counted: Any = counted, said: Any = statements) -> Any:
                said.append(query)
                return counted(query, *args)

            team._conn.execute = execute  # type: ignore[attr-defined]

            def claim(key: str, name: str = name) -> None:
                if teams[name].claim(key):
                    won[key].append(name)

            # 24 fetch threads ask at once, while the connection is busy (the lock held here)
            with team._lock:  # type: ignore[attr-defined]
                threads = [threading.Thread(target=claim, args=(key,)) for key in keys]
                for thread in threads:
                    thread.start()
                while len(team._wanted) < len(keys):  # type: ignore[attr-defined]
                    threading.Event().wait(0.01)
            for thread in threads:
                thread.join()
            claims[name] = sum("UPDATE fetch_tasks SET run" in str(q) for q in statements)
        for team in teams.values():
            team.close()
    assert won == {key: ["one"] for key in keys}  # each task is one worker's: the first to ask
    assert claims == {"one": 1, "two": 1}  # a claim a task was 24 statements each
