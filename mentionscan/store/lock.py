"""The run lock: one run at a time writes a database; readers never wait for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mentionscan.errors import StoreError, StoreLocked, reason
from mentionscan.store.files import blocked_folder, ensure_folder


@contextmanager
def run_lock(database: Path, timeout: float) -> Iterator[None]:
    """Hold `<database>.lock` exclusively, so that one run at a time writes the database.

    The lock is an OS file lock: it goes away with the process, however that process ends.
    """
    import filelock  # only commands that write pay for it

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
        why = blocked_folder(lock_path) or f"{lock_path}: {reason(error)}"
        raise StoreError(f"cannot lock database {database}: {why}") from error
    try:
        yield
    finally:
        lock.release()
