"""Where mentions and program state are kept: the `Store` interface and `open_store`.

A store is opened for one run, changed in memory and written by one `save()`. `open_store`
picks the backend from the location (a file path: `json_store.py`; `sqlite:///path`:
`sqlite_store.py`; `postgresql://...`: `pg_store.py`), and for writing a file holds a lock file
beside the database so two runs never interleave; PostgreSQL needs no such lock (a save changes
the rows as they are then, and fetch runs share their tasks: `Store.team`).
The rules every backend shares are in `base.py`; what each field of a `MentionFilter` means is
in `interface.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mentionscan.errors import StoreError
from mentionscan.store.files import check_writable, ensure_folder, real_file
from mentionscan.store.interface import AuthorStats, MentionFilter, Order, Store
from mentionscan.store.lock import run_lock

if TYPE_CHECKING:
    from mentionscan.store.base import BaseStore

__all__ = [
    "POSTGRES_PREFIXES",
    "SQLITE_PREFIX",
    "AuthorStats",
    "MentionFilter",
    "Order",
    "Store",
    "database_path",
    "ensure_folder",
    "is_postgres",
    "open_store",
    "run_lock",
]

SQLITE_PREFIX = "sqlite://"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
INSTALL_POSTGRES = "pip install 'mentionscan[postgres]'"
FETCH_LOCK = "fetch.lock"  # beside the database: held by a fetch, which holds `.lock` only briefly


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_PREFIXES)


@contextmanager
def open_store(
    location: str | Path,
    *,
    write: bool = True,
    lock_timeout: float = 30.0,
    notice: Callable[[str], None] | None = None,
    password_env: str | None = None,
    purpose: str = "",
    brief: bool = False,
) -> Iterator[Store]:
    """Open the database at `location` for the length of a `with` block.

    `write=True` holds an exclusive lock for the whole block (StoreLocked after `lock_timeout`
    seconds); `write=False` takes no lock and cannot save. Nothing is ever saved implicitly.
    `notice(line)` is told of a long step before it starts (upgrading an old database, waiting
    for another run's lock); `purpose` names the command holding the lock, for those who wait.
    `brief=True` (a fetch, which runs for minutes) holds the lock only while the store opens and
    while it saves, so other commands can write meanwhile (its save then goes onto what they
    wrote: `rebase.py`), and holds `<database>.fetch.lock` for the block instead: one such run at
    a time. A path through a symbolic link opens (and locks) the file it points to; a read-only file
    is never opened for writing. A PostgreSQL database takes no lock (`password_env`: the
    variable holding its password).
    """
    text = os.fspath(location)
    if is_postgres(text):
        postgres = postgres_store(text, write=write, password_env=password_env)
        try:
            yield postgres
        finally:
            postgres.close()
        return
    path = real_file(database_path(text))

    def locked() -> AbstractContextManager[None]:
        return run_lock(path, lock_timeout, purpose=purpose, notice=notice)

    with ExitStack() as stack:
        if write and brief:
            stack.enter_context(
                run_lock(path, lock_timeout, purpose=purpose, notice=notice, name="fetch.lock")
            )
        with ExitStack() as opening:
            if write:
                opening.enter_context(locked())
                check_writable(path)
            if notice is not None and not path.exists():
                # A typo in a path shows: said when the command made it (after the store is closed),
                # or that there was nothing to read; not when the command failed for its own reason.
                stack.push(_say_new(path, write, notice))
            store = _file_store(path, text, write, lock_timeout, notice)
            if not brief:
                stack.enter_context(opening.pop_all())  # the lock, until the block ends
        stack.callback(store.close)
        if write and brief:
            from mentionscan.store.rebase import save_onto

            store.lock_only_to_save(locked, save_onto)
        yield store


def _file_store(
    path: Path, location: str, write: bool, lock_timeout: float, notice: Callable[[str], None] | None
) -> BaseStore:
    # Imported here so that commands which never open the database don't pay for tinydb/orjson.
    if location.startswith(SQLITE_PREFIX):
        from mentionscan.store.sqlite_store import SQLiteStore

        return SQLiteStore(path, location=location, write=write, busy_timeout=lock_timeout, notice=notice)
    from mentionscan.store.json_store import JSONStore

    return JSONStore(path, location=location, write=write)


def postgres_store(location: str, *, write: bool, password_env: str | None) -> Store:
    """The PostgreSQL backend, or StoreError naming the install command when psycopg is missing."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreError(
            f"database {location.split('@')[-1]}: PostgreSQL needs psycopg, which is not installed: "
            f"{INSTALL_POSTGRES}"
        ) from None
    from mentionscan.store.pg_store import PgStore

    return PgStore(location, write=write, password_env=password_env)


def _say_new(path: Path, write: bool, notice: Callable[[str], None]) -> Callable[..., bool]:
    def said(kind: type[BaseException] | None, *_: object) -> bool:
        if write and path.exists():
            notice(f"new database {path}")
        elif not write and kind is None:
            notice(f"no database at {path} yet (fetch makes it)")
        return False  # an exception goes on

    return said


def database_path(location: str) -> Path:
    """The file behind a location: a path, or `sqlite:///path` (`sqlite:////abs/path` when absolute)."""
    if not location.startswith(SQLITE_PREFIX):
        return Path(location).expanduser()
    rest = location.removeprefix(SQLITE_PREFIX)
    if not rest.startswith("/") or rest == "/":
        raise StoreError(f"database {location!r}: an SQLite location is sqlite:///path/to/mentions.db")
    # `sqlite:///rel/db` is relative (as in SQLAlchemy), `sqlite:////abs/db` absolute.
    return Path(rest[1:]).expanduser()
