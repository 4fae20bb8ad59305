"""Moving a database from one backend to the other (`mentionscan db migrate`), and describing one.

A migration copies every mention (every field, timeline included, in stored order so that a
dedup key two mentions share stays with the same one) and every program state, in one save;
then reads the target back and checks it holds exactly what the source holds. It never writes
over a target that already holds anything, and never changes the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mentionscan.errors import StoreError
from mentionscan.store import SQLITE_PREFIX, database_path, open_store
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
    path: Path
    backend: str  # json | sqlite
    exists: bool
    mentions: int
    states: int
    size: int  # bytes on disk, the SQLite write-ahead log included
    schema: int | None


def backend_of(location: str) -> str:
    return "sqlite" if location.startswith(SQLITE_PREFIX) else "json"


def migrate(source: str, target: str, *, lock_timeout: float = 60.0) -> Migration:
    """Copy the database at `source` into a new or empty database at `target`, then verify it."""
    source_path, target_path = database_path(source), database_path(target)
    if _same_file(source_path, target_path):
        raise StoreError(f"cannot migrate database {source_path} onto itself: give another --to")
    if not source_path.exists():
        raise StoreError(f"database {source_path} does not exist: nothing to migrate")
    # Both locked: no run may change the source while it is copied, nor the target. The source
    # is read as it is (read-only, so an old schema is not upgraded): migrating never changes it.
    with run_lock(source_path, lock_timeout), open_store(source, write=False) as old:
        states = old.states()
        mentions = list(old.mentions())
        with open_store(target, lock_timeout=lock_timeout) as new:
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
    with open_store(target, write=False) as check:
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


def database_info(location: str) -> DatabaseInfo:
    """Where the database is, which backend, how much it holds, how big it is."""
    path = database_path(location)
    backend = backend_of(location)
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


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
