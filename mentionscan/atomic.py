"""The one way mentionscan writes a file it owns: a temp file beside it, fsync, rename, fsync the folder.

A reader (or a crash at any moment) sees the old file or the new one, never half of one. The
new file keeps the old one's permissions; a new file gets what the umask gives, or stays
private (0600) when it holds people's names and addresses.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path

from mentionscan.errors import MentionscanError, reason

TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """How the temp files of `path` start: `.mentions.json.`, so they sit hidden beside it."""
    return f".{path.name}."


def write_atomically(
    path: Path,
    pieces: Iterable[bytes | memoryview],
    *,
    private: bool = False,
    what: str = "",
    error: type[MentionscanError] = MentionscanError,
    failed: Callable[[OSError], MentionscanError] | None = None,
    durable: bool = True,
) -> None:
    """Replace `path` with the bytes of `pieces`; on any failure the old file is left as it was.

    Raises `error` with one line, "cannot write <what or path>: <reason>" (or what `failed` makes
    of the OSError). The folder must exist. Not `durable`: whole or absent after a crash, but
    maybe the old file (no fsync: for a file that only says something while its process runs).
    """
    name = what or str(path)
    folder = path.parent

    def failure(exc: OSError) -> MentionscanError:
        return failed(exc) if failed else error(f"cannot write {name}: {reason(exc)}")

    if not folder.is_dir():
        raise error(f"cannot write {name}: the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise failure(exc) from None
    temp = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), _mode(path, private))
            for piece in pieces:
                out.write(piece)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        if path.is_dir():
            raise IsADirectoryError(21, os.strerror(21))
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise failure(exc) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(folder)


def _mode(path: Path, private: bool) -> int:
    """The old file's permissions if there is one; else 0600 when private, else what the umask gives."""
    with suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    if private:
        return 0o600
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a filesystem that cannot fsync a folder is no failure)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temp_files(path: Path) -> None:
    """Remove the temp files a killed writer left beside `path` (call only while holding its lock)."""
    prefix = temp_prefix(path)
    with suppress(OSError):
        for entry in path.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
                with suppress(OSError):
                    entry.unlink()
