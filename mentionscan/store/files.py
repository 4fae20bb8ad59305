"""The files a store owns: the folder it lives in, temp files beside it, what a failure says.

Shared by the file backends so that every one creates folders, names temp files, cleans up
after a killed run and words its errors the same way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mentionscan.errors import StoreError, reason

TEMP_SUFFIX = ".tmp"


def unreadable(path: Path, why: str) -> StoreError:
    return StoreError(f"cannot read database {path}: {why}; it was left untouched — fix or move it away")


def save_error(path: Path, error: OSError) -> StoreError:
    return StoreError(f"cannot save database {path}: {reason(error)}")


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
        raise StoreError(f"cannot create folder {folder} for database {database}: {reason(error)}") from error


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


@contextmanager
def temp_beside(path: Path) -> Iterator[tuple[int, Path]]:
    """A new temp file in `path`'s folder, open as a descriptor; removed unless the block renamed it.

    mkstemp makes it 0600, so a new database stays private: it holds people's names and addresses.
    """
    ensure_folder(path)
    try:
        fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as error:
        raise save_error(path, error) from error
    temp = Path(name)
    try:
        yield fd, temp
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise


def remove_stale_temp_files(path: Path) -> None:
    """Remove temp files a killed run left beside the database (call only while holding the lock)."""
    prefix = temp_prefix(path)
    with suppress(OSError):
        for entry in path.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
                with suppress(OSError):
                    entry.unlink()


def fsync_folder(folder: Path) -> None:
    # Makes a rename itself durable. The new file is already in place when this runs, so a
    # filesystem that cannot fsync a folder is no reason to report the save as failed.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
