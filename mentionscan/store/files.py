"""The files a store owns: the folder it lives in, temp files beside it, what a failure says.

Shared by the file backends so that every one creates folders, names temp files, cleans up
after a killed run and words its errors the same way.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mentionscan.atomic import TEMP_SUFFIX, fsync_folder, remove_stale_temp_files, temp_prefix
from mentionscan.errors import StoreError, reason

__all__ = [
    "blocked_folder",
    "check_writable",
    "ensure_folder",
    "fsync_folder",
    "real_file",
    "remove_stale_temp_files",
    "save_error",
    "temp_beside",
    "unreadable",
]


def unreadable(path: Path, why: str) -> StoreError:
    return StoreError(f"cannot read database {path}: {why}; it was left untouched — fix or move it away")


def blocked_folder(path: Path) -> str | None:
    """Why nothing can be written beside `path` (a read-only file system, a full disk, a folder
    we may not write), or None when nothing says so: what an open or a save that failed is told."""
    folder = path.parent
    try:
        info = os.statvfs(folder)
    except OSError:
        return None
    if info.f_flag & os.ST_RDONLY:
        return f"the file system of {folder} is read-only"
    # /proc and its kind have no blocks at all: not full, only not a place for files
    if info.f_blocks and (info.f_bavail == 0 or (info.f_files and info.f_favail == 0)):
        return f"the disk holding {folder} is full"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable (Permission denied)"
    return None


def save_error(path: Path, error: OSError) -> StoreError:
    return StoreError(f"cannot save database {path}: {reason(error)}")


def real_file(path: Path) -> Path:
    """The file `path` names, through any symbolic links: the one file every run locks and writes.

    Writing through the link would replace the link with a new file (an atomic rename replaces
    what the path names), and a lock named after the link would not stop a run given the target.
    """
    try:
        return path.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python 3.11, 3.12)
        why = reason(error) if isinstance(error, OSError) else "its symbolic links form a loop"
        raise StoreError(f"cannot open database {path}: {why}") from None


def check_writable(path: Path) -> None:
    """Raise StoreError when the database file exists but is not to be written (mode 0444, say).

    Checked against the mode bits too: root may write any file, but a file nobody may write was
    made read-only on purpose, and replacing it would undo that.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # no file yet, or one the backend will say it cannot read
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise StoreError(
            f"database {path} is read-only (mode {stat.S_IMODE(mode):04o}): it was left as it is; "
            f"make it writable (chmod u+w {path}) to store in it, or only read it (list, show, export)"
        )


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
