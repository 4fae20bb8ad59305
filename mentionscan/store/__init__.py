"""Where mentions and program state are kept: the `Store` interface and `open_store`.

A store is opened for one run, read once, changed in memory and written by one `save()`.
`open_store` picks the backend from the location (a file path: `tinydb_store.py`; `sqlite:///path`:
`sqlite_store.py`), and for writing holds a lock file beside the database so two runs never
interleave.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from mentionscan.errors import StoreError, StoreLocked
from mentionscan.models import Mention
from mentionscan.store.interface import AuthorStats, MentionFilter, Order, Store, select

__all__ = ["MentionFilter", "Order", "Store", "database_path", "ensure_folder", "open_store", "run_lock"]

SQLITE_PREFIX = "sqlite://"


class NaiveQueries:
    """`mentions`, `count` and `authors` answered by reading every mention (until backends push them down)."""

    def _every(self) -> list[Mention]:
        raise NotImplementedError

    def mentions(self, selection: MentionFilter | None = None) -> Iterator[Mention]:
        return iter(select(self._every(), selection or MentionFilter(order=Order.STORED)))

    def count(self, selection: MentionFilter | None = None) -> int:
        every = self._every()
        return len(every) if selection is None else sum(1 for m in every if selection.accepts(m))

    def authors(self, keys: Iterable[str]) -> dict[str, AuthorStats]:
        wanted = set(keys)
        counts: dict[str, int] = dict.fromkeys(wanted, 0)
        contacted: dict[str, datetime] = {}
        for mention in self._every():
            key = mention.author_key
            if key in wanted:
                counts[key] += 1
                when = mention.last_contacted
                if when is not None and (key not in contacted or when > contacted[key]):
                    contacted[key] = when
        return {k: AuthorStats(k, counts[k], contacted.get(k)) for k in wanted}


@contextmanager
def open_store(location: str | Path, *, write: bool = True, lock_timeout: float = 30.0) -> Iterator[Store]:
    """Open the database at `location` for the length of a `with` block.

    `write=True` holds an exclusive lock for the whole block (StoreLocked after `lock_timeout`
    seconds); `write=False` takes no lock and cannot save. Nothing is ever saved implicitly.
    """
    text = os.fspath(location)
    path = database_path(text)
    with ExitStack() as stack:
        if write:
            stack.enter_context(run_lock(path, lock_timeout))
        # Imported here so that commands which never open the database don't pay for tinydb/orjson.
        store: Store
        if text.startswith(SQLITE_PREFIX):
            from mentionscan.store.sqlite_store import SQLiteStore

            store = SQLiteStore(path, location=text, write=write, busy_timeout=lock_timeout)
        else:
            from mentionscan.store.json_store import TinyDBStore

            store = TinyDBStore(path, location=text, write=write)
        stack.callback(store.close)
        yield store


def database_path(location: str) -> Path:
    """The file behind a location: a path, or `sqlite:///path` (`sqlite:////abs/path` when absolute)."""
    if not location.startswith(SQLITE_PREFIX):
        return Path(location).expanduser()
    rest = location.removeprefix(SQLITE_PREFIX)
    if not rest.startswith("/") or rest == "/":
        raise StoreError(f"database {location!r}: an SQLite location is sqlite:///path/to/mentions.db")
    path = rest[1:]
    # `sqlite:///rel/db` is relative (as in SQLAlchemy), `sqlite:////abs/db` absolute.
    return Path(path).expanduser()


@contextmanager
def run_lock(database: Path, timeout: float) -> Iterator[None]:
    """Hold `<database>.lock` exclusively, so that one run at a time writes the database.

    The lock is an OS file lock: it goes away with the process, however that process ends.
    """
    import filelock

    ensure_folder(database)
    lock_path = database.with_name(database.name + ".lock")
    lock = filelock.FileLock(lock_path, timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise StoreLocked(
            f"database {database} is in use by another mentionscan run (waited {timeout:g} s); "
            "try again when it ends"
        ) from None
    except OSError as error:
        raise StoreError(f"cannot lock database {database}: {lock_path}: {_reason(error)}") from error
    try:
        yield
    finally:
        lock.release()


def ensure_folder(database: Path) -> None:
    """Create the folder that holds `database`, or raise StoreError naming it."""
    folder = database.parent
    if folder.is_dir():
        return
    if folder.exists():
        raise StoreError(f"cannot create folder {folder} for database {database}: it is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = _reason(error)
        raise StoreError(f"cannot create folder {folder} for database {database}: {reason}") from error


def _reason(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)
