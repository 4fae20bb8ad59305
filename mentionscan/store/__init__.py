"""Where mentions and program state are kept: the `Store` interface and `open_store`.

A store is opened for one run, read once, changed in memory and written by one `save()`.
`open_store` picks the backend from the location (a file path: `tinydb_store.py`; `sqlite:///path`:
`sqlite_store.py`), and for writing holds a lock file beside the database so two runs never
interleave.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from mentionscan.errors import StoreError, StoreLocked
from mentionscan.models import Mention

__all__ = ["Store", "database_path", "ensure_folder", "open_store", "run_lock"]

SQLITE_PREFIX = "sqlite://"


class Store(ABC):
    """Stored mentions and program state, for one run."""

    location: str  # what the user configured (path or URL), for messages

    @property
    @abstractmethod
    def writes(self) -> int:
        """How many times the database was physically written since it was opened."""

    @abstractmethod
    def mentions(self) -> list[Mention]:
        """Every stored mention, in no particular order."""

    @abstractmethod
    def get(self, mention_id: str) -> Mention | None:
        """The mention with exactly this id, or None."""

    @abstractmethod
    def resolve(self, prefix: str) -> Mention:
        """The mention whose id is `prefix`, or the only one whose id starts with it (raises NotFound)."""

    @abstractmethod
    def find_by_keys(self, keys: Iterable[str]) -> Mention | None:
        """The stored mention holding any of these dedup keys, or None."""

    @abstractmethod
    def put(self, mention: Mention) -> None:
        """Insert the mention, or replace the stored one with the same id (in memory until `save`)."""

    @abstractmethod
    def state(self, name: str) -> dict[str, Any]:
        """A copy of the program state stored under `name`; {} when there is none."""

    @abstractmethod
    def set_state(self, name: str, value: dict[str, Any]) -> None:
        """Replace the program state stored under `name` (in memory until `save`)."""

    @abstractmethod
    def states(self) -> dict[str, dict[str, Any]]:
        """A copy of every stored program state, by name."""

    def count(self) -> int:
        """How many mentions are stored (a backend may answer without reading them)."""
        return len(self.mentions())

    @abstractmethod
    def save(self) -> None:
        """Write every change atomically, at most once; nothing at all when nothing changed."""

    @abstractmethod
    def close(self) -> None:
        """Forget the data; never writes."""


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
