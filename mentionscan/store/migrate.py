"""Moving a database from one backend to another (`mentionscan db migrate`), and describing one.

A migration copies every mention (every field, timeline included, in stored order so that a
dedup key two mentions share stays with the same one) and every program state, in one save;
then reads the target back and checks it holds exactly what the source holds. It never writes
over a target that already holds anything, and never changes the source. A file is locked while
it is copied; a PostgreSQL source is copied as it is when read (stop its workers for an exact copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mentionscan.errors import StoreError
from mentionscan.store import SQLITE_PREFIX, database_path, is_postgres, open_store
from mentionscan.store.lock import run_lock


@dataclass(frozen=True, slots=True)
class Migration:
    source: str
    target: str
    mentions: int
    states: int


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    location: str
    path: Path | None  # None: on a server
    backend: str  # json | sqlite | postgres
    exists: bool
    mentions: int
    states: int
    size: int  # bytes on disk, the SQLite write-ahead log included
    schema: int | None


def backend_of(location: str) -> str:
    if is_postgres(location):
        return "postgres"
    return "sqlite" if location.startswith(SQLITE_PREFIX) else "json"


def migrate(
    source: str, target: str, *, lock_timeout: float = 60.0, password_env: str | None = None
) -> Migration:
    """Copy the database at `source` into a new or empty database at `target`, then verify it."""
    source_path, target_path = _named(source), _named(target)
    if source == target or (
        not is_postgres(source)
        and not is_postgres(target)
        and _same_file(Path(source_path), Path(target_path))
    ):
        raise StoreError(f"cannot migrate database {source_path} onto itself: give another --to")
    if not _exists(source, password_env):
        raise StoreError(f"database {source_path} does not exist: nothing to migrate")
    # Both locked: no run may change the source while it is copied, nor the target. The source
    # is read as it is (read-only, so an old schema is not upgraded): migrating never changes it.
    with _locked(source, lock_timeout), open_store(source, write=False, password_env=password_env) as old:
        states = old.states()
        mentions = list(old.mentions())
        with open_store(target, lock_timeout=lock_timeout, password_env=password_env) as new:
            if new.count() or new.states():
                raise StoreError(
                    f"database {target_path} already holds {new.count()} mentions and "
                    f"{len(new.states())} states: migrate only into a new or empty database"
                )
            for name, value in states.items():
                new.set_state(name, value)
            for mention in mentions:
                new.put(mention)
            new.save()
    with open_store(target, write=False, password_env=password_env) as check:
        copied = {m.id: m.to_dict() for m in check.mentions()}
        copied_states = check.states()
    expected = {m.id: m.to_dict() for m in mentions}
    if copied != expected or copied_states != states:
        problems = [
            f"{len(expected.keys() - copied.keys())} mentions missing",
            f"{sum(1 for i in expected.keys() & copied.keys() if copied[i] != expected[i])} different",
            f"{len(copied.keys() - expected.keys())} extra",
            "states differ" if copied_states != states else "states equal",
        ]
        raise StoreError(
            f"database {target_path} does not hold what {source_path} holds after the copy "
            f"({', '.join(problems)}); the source is unchanged"
        )
    return Migration(source, target, len(copied), len(copied_states))


def database_info(location: str, password_env: str | None = None) -> DatabaseInfo:
    """Where the database is, which backend, how much it holds, how big it is."""
    backend = backend_of(location)
    if backend == "postgres":
        with open_store(location, write=False, password_env=password_env) as store:
            size = store.size() if store.schema is not None else 0  # type: ignore[attr-defined]
            found = (store.count(), len(store.states()), store.schema)
        return DatabaseInfo(location, None, backend, found[2] is not None, found[0], found[1], size, found[2])
    path = database_path(location)
    if not path.exists():
        return DatabaseInfo(location, path, backend, False, 0, 0, 0, None)
    with open_store(location, write=False) as store:
        mentions, states = store.count(), len(store.states())
        schema = store.schema  # the file's own version, which may be older than ours
    size = path.stat().st_size
    if backend == "sqlite":
        wal = path.with_name(path.name + "-wal")
        size += wal.stat().st_size if wal.exists() else 0
    return DatabaseInfo(location, path, backend, True, mentions, states, size, schema)


def _named(location: str) -> str:
    """The database as messages name it: its file, or its URL without a password."""
    if is_postgres(location):
        from mentionscan.store.pg_connect import shown

        return shown(location)
    return str(database_path(location))


def _exists(location: str, password_env: str | None) -> bool:
    if not is_postgres(location):
        return database_path(location).exists()
    with open_store(location, write=False, password_env=password_env) as store:
        return store.schema is not None


@contextmanager
def _locked(location: str, timeout: float) -> Iterator[None]:
    """The run lock of a file database; a PostgreSQL database has none."""
    if is_postgres(location):
        yield
        return
    with run_lock(database_path(location), timeout):
        yield


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
