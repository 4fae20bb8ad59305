"""The run lock: one run at a time writes a database; readers never wait for it.

The holder writes who it is beside the lock (`<database>.lock.holder`: the command, its pid
and when it started), so that a command that has to wait can say for what: "waiting for the
fetch started 09:12 (pid 4242) …". The file is a courtesy, never trusted for the locking.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from mentionscan.atomic import write_atomically
from mentionscan.errors import StoreError, StoreLocked, reason
from mentionscan.store.files import blocked_folder, ensure_folder
from mentionscan.timeutil import parse_time, to_iso, utcnow


@contextmanager
def run_lock(
    database: Path,
    timeout: float,
    *,
    purpose: str = "",
    notice: Callable[[str], None] | None = None,
    name: str = "lock",
) -> Iterator[None]:
    """Hold `<database>.lock` (`<database>.<name>`) exclusively, so that one run at a time writes
    the database (one fetch at a time runs: `fetch.lock`).

    The lock is an OS file lock: it goes away with the process, however that process ends.
    A lock file that cannot be created is a StoreError at once (not a wait for a lock that
    can never be had); a lock another run holds is waited for up to `timeout` seconds, and
    `notice` is told whose it is first.
    """
    import filelock  # only commands that write pay for it

    ensure_folder(database)
    lock_path = database.with_name(f"{database.name}.{name}")
    try:
        os.close(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as error:
        raise StoreError(f"cannot lock database {database}: {_why(lock_path, error)}") from None
    lock = filelock.FileLock(lock_path, timeout=timeout)
    try:
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            if notice is not None:
                notice(f"{holder_of(lock_path)} (up to {timeout:g} s) …")
            lock.acquire()
    except filelock.Timeout:
        raise StoreLocked(
            f"database {database} is in use by another mentionscan run (waited {timeout:g} s); "
            "try again when it ends"
        ) from None
    except OSError as error:
        raise StoreError(f"cannot lock database {database}: {_why(lock_path, error)}") from error
    holder = lock_path.with_name(lock_path.name + ".holder")
    _say_who(holder, purpose)
    try:
        yield
    finally:
        with suppress(OSError):
            holder.unlink()
        lock.release()


def _why(lock_path: Path, error: OSError) -> str:
    return blocked_folder(lock_path) or f"{lock_path}: {reason(error)}"


def _say_who(holder: Path, purpose: str) -> None:
    record = {"command": purpose or "mentionscan", "pid": os.getpid(), "started": to_iso(utcnow())}
    with suppress(Exception):  # a courtesy: a read-only folder or a full disk must not stop the run
        write_atomically(holder, [json.dumps(record).encode()], durable=False)  # it dies with the run


def holder_of(lock_path: Path) -> str:
    """`waiting for the fetch started 09:12 (pid 4242) to finish`, or a plainer line when unknown."""
    try:
        record = json.loads(lock_path.with_name(lock_path.name + ".holder").read_text(encoding="utf-8"))
        pid = int(record["pid"])
        os.kill(pid, 0)  # still running: an old file of a killed run says nothing
    except (OSError, ValueError, KeyError, TypeError):
        return "waiting for another mentionscan run to finish with the database"
    started = parse_time(record.get("started"))
    when = f" started {_local(started)}" if started else ""
    command = str(record.get("command") or "mentionscan")[:40]
    return f"waiting for the {command}{when} (pid {pid}) to finish"


def _local(when: datetime) -> str:
    local = when.astimezone()
    today = datetime.now().astimezone().date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")
