"""The files a store owns: the folder it lives in, temp files beside it, what a failure says.

Shared by the file backends so that every one creates folders, names temp files, cleans up
after a killed run and words its errors the same way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mentionscan.atomic import TEMP_SUFFIX, fsync_folder, remove_stale_temp_files, temp_prefix
from mentionscan.errors import StoreError, reason

__all__ = [
    "ensure_folder",
    "fsync_folder",
    "remove_stale_temp_files",
    "save_error",
    "temp_beside",
    "unreadable",
]


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
