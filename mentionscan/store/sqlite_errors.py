"""What SQLite's errors mean to the user: a damaged file, or a place where it cannot be opened.

A database on a full disk, in a read-only folder or on a read-only file system is not damaged:
those errors say what is wrong with the place and never "move it away", and a reader retries
them (`SQLiteStore` opens the file as immutable).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mentionscan.errors import StoreError
from mentionscan.store.files import blocked_folder, unreadable

# The errors that say the file cannot be opened or written here (the folder, the file system,
# the disk), not that it is damaged.
_PLACE = ("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PERM")


class CannotOpen(StoreError):
    """The file could not be opened where it is; it may well be a healthy database."""


def open_failure(path: Path, error: sqlite3.Error, writing: bool) -> StoreError:
    """The StoreError for an error while opening or reading `path`."""
    if not getattr(error, "sqlite_errorname", "").startswith(_PLACE):
        return unreadable(path, describe(error))
    why = blocked_folder(path) or describe(error)
    return CannotOpen(
        f"cannot open database {path}{' for writing' if writing else ''}: {why}; "
        "the database itself was not changed"
    )


def holds_changes(wal: Path) -> bool:
    """Whether a write-ahead log file holds changes not yet in its database (an empty one holds none)."""
    try:
        return wal.stat().st_size > 0
    except FileNotFoundError:
        return False
    except OSError:
        return True


def describe(error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text:
        return "it is not an SQLite database, or it is damaged"
    if "malformed" in text:
        return f"it is damaged ({text})"
    return text
