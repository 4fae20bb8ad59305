"""The second backend: one SQLite file (`database = "sqlite:///path/mentions.db"`), for big histories.

Same records and behaviour as the JSON default, but nothing is loaded up front: a lookup is an
indexed query, and a `MentionFilter` is answered in SQL over the columns it keeps
(`sqlite_schema.py`), so opening a database of a million mentions, adding one to it or listing
the newest twenty cost about the same as with a hundred.

Changes wait in memory until `save()`, which applies them in one `BEGIN IMMEDIATE` transaction
(WAL mode, so readers are never blocked). A new database is made whole in a temp file and
renamed into place, so a crash during the first save leaves no file rather than half of one. A
database of an older schema is upgraded in place, in one transaction, when it is first opened
for writing; opened read-only it is answered by reading its documents (schema 1, which has no
columns) or, for a word search, the documents its other columns chose (schema 2, whose words
are title, snippet and text only).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

import mentionscan.store.sqlite_query as sql
from mentionscan.errors import StoreError, reason
from mentionscan.store.base import BaseStore, Change, Holder, Stored
from mentionscan.store.docs import parse_doc, to_mention
from mentionscan.store.files import fsync_folder, remove_stale_temp_files, temp_beside, unreadable
from mentionscan.store.interface import MentionFilter
from mentionscan.store.scan import Pair, Tally, scan, tally
from mentionscan.store.sqlite_errors import CannotOpen, describe, holds_changes, open_failure
from mentionscan.store.sqlite_schema import (
    SCHEMA,
    TABLES,
    create,
    from_micros,
    upgrade,
)
from mentionscan.store.sqlite_write import transaction, write_changes

MAGIC = b"SQLite format 3\x00"
CACHE_KIB = 32 * 1024  # page cache: enough for the hot index pages of a million mentions
FETCH = 256  # rows read at a time while a caller iterates

# Every holder of up to FIND_BATCH keys, with its document, through the primary key's index: one
# query for the usual two or three keys of an entry.
FIND_BATCH = 8
_FIND = (
    "SELECT k.key, k.seq, m.id, m.doc FROM mention_keys AS k JOIN mentions AS m USING (seq) WHERE k.key IN "
)
FIND_KEYS = {size: _FIND + "(" + ", ".join("?" * size) + ")" for size in range(1, FIND_BATCH + 1)}


class SQLiteStore(BaseStore):
    """Mentions and state in an SQLite file; changes wait in memory for `save()`."""

    def __init__(
        self,
        path: Path,
        *,
        location: str | None = None,
        write: bool = True,
        busy_timeout: float = 30.0,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            path, location=location if location is not None else f"sqlite:///{path}", write=write
        )
        self._busy_ms = max(0, int(busy_timeout * 1000))
        self._conn: sqlite3.Connection | None = None
        self._version = 0  # PRAGMA data_version when the run's snapshot began: others' commits change it
        self._last_seq = 0  # the highest seq stored
        self._documents: list[Pair] | None = None  # every mention, for a schema 1 file read as it is
        self._notice = notice  # told of a long step before it starts (the upgrade of an old file)
        if write:
            remove_stale_temp_files(path)
        if path.exists() or path.is_symlink():
            self._open()

    # Opening

    def _open(self) -> None:
        self._check_header()
        try:
            self._connect(immutable=False)
        except CannotOpen:
            # A database in a read-only folder or file system, or on a full disk, can still be
            # read: as an immutable file, when no write-ahead log holds changes not yet in it.
            if self._writable or holds_changes(self.path.with_name(self.path.name + "-wal")):
                raise
            self._connect(immutable=True)

    def _connect(self, *, immutable: bool) -> None:
        mode = "rw" if self._writable else "ro"
        uri = f"{self.path.resolve().as_uri()}?mode={mode}{'&immutable=1' if immutable else ''}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._busy_ms / 1000)
        except sqlite3.Error as error:
            raise open_failure(self.path, error, self._writable) from None
        self._conn = conn
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()  # the store is never handed out, so nobody else would close it
            self._conn = None
            raise

    def _prepare(self, conn: sqlite3.Connection) -> None:
        with self._reading():
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            self.schema = self._schema_of(conn, tables)
            missing = [t for t in TABLES[self.schema] if t not in tables]
            if missing:
                raise unreadable(self.path, f"it has no table {missing[0]}; is it a mentionscan database?")
            self._states = self._load_states(conn)
            if self._writable and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        if self._writable and self.schema < SCHEMA:
            self._upgrade(conn)
        with self._reading():
            self._last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
            # One read transaction for every lookup until the save, rather than one per query: a
            # lookup costs half as much, and the run sees one state of the file throughout.
            self._version = conn.execute("PRAGMA data_version").fetchone()[0]  # before it starts
            conn.execute("BEGIN")

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        old = self.schema
        if self._notice is not None:
            count = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
            self._notice(
                f"upgrading database {self.path} (schema {old} to {SCHEMA}, {count:,} "
                f"mention{'' if count == 1 else 's'}): "
                "once, about a minute per 300,000 mentions"
            )
        try:
            with transaction(conn):
                upgrade(conn, old or 1, self.path)
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot upgrade database {self.path} from schema version {old} to {SCHEMA}: "
                f"{describe(error)}; it was left as it was"
            ) from None
        self.schema = SCHEMA

    def _check_header(self) -> None:
        try:
            with self.path.open("rb") as file:
                head = file.read(len(MAGIC))
        except OSError as error:
            raise StoreError(f"cannot read database {self.path}: {reason(error)}") from error
        if not head:
            raise unreadable(self.path, "the file is empty")
        if head != MAGIC:
            raise unreadable(self.path, "it is not an SQLite database")

    def _schema_of(self, conn: sqlite3.Connection, tables: set[str]) -> int:
        row = (
            conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if "meta" in tables
            else None
        )
        return self._check_schema(None if row is None else row[0], SCHEMA, "meta")

    def _load_states(self, conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
        states: dict[str, dict[str, Any]] = {}
        for name, text in conn.execute("SELECT name, value FROM state ORDER BY rowid"):
            try:
                value = orjson.loads(text)
            except (orjson.JSONDecodeError, TypeError):
                value = None
            if type(name) is not str or not isinstance(value, dict):
                raise unreadable(self.path, f"state {name!r} is malformed")
            states[name] = value
        return states

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn SQLite's errors while reading into StoreError naming the file."""
        try:
            yield
        except sqlite3.Error as error:
            raise open_failure(self.path, error, self._writable) from None

    def _rows(self, query: str, params: Iterable[Any] = ()) -> list[Any]:
        if self._conn is None:
            return []
        with self._reading():
            return self._conn.execute(query, tuple(params)).fetchall()

    # The primitives

    def _stored(self, mention_id: str) -> Stored | None:
        rows = self._rows("SELECT seq, doc FROM mentions WHERE id = ?", (mention_id,))
        return Stored(rows[0][0], rows[0][1].encode("utf-8")) if rows else None

    def _stored_ids(self, prefix: str) -> list[str]:
        if self._conn is None:
            return []
        found: list[str] = []
        with self._reading():
            # Ids sort by code point, so those starting with `prefix` follow it without a gap.
            for (mention_id,) in self._conn.execute(
                "SELECT id FROM mentions WHERE id >= ? ORDER BY id", (prefix,)
            ):
                if not mention_id.startswith(prefix):
                    break
                found.append(mention_id)
        return found

    def _stored_holders(self, keys: list[str], dropped: Mapping[str, Collection[str]]) -> dict[str, Holder]:
        found: dict[str, Holder] = {}
        for start in range(0, len(keys), FIND_BATCH):
            batch = keys[start : start + FIND_BATCH]
            for key, seq, mention_id, doc in self._rows(FIND_KEYS[len(batch)], batch):
                if mention_id not in dropped.get(key, ()) and (key not in found or seq < found[key].position):
                    found[key] = Holder(seq, mention_id, doc.encode("utf-8"))
        return found

    def _stored_mentions(self, selection: MentionFilter, exclude: frozenset[str]) -> Iterable[Pair]:
        if self._reads_documents:
            return scan(self._every(), selection, exclude)
        if self._old_words(selection):
            return scan(self._query(*sql.select_sql(_without_words(selection), exclude)), selection)
        return self._query(*sql.select_sql(selection, exclude))

    def _stored_count(self, selection: MentionFilter | None, exclude: frozenset[str]) -> int:
        if self._conn is None:
            return 0
        if selection is None:
            return int(self._rows("SELECT count(*) FROM mentions")[0][0]) - len(exclude)
        if self._reads_documents:
            return sum(1 for _, m in self._every() if m.id not in exclude and selection.accepts(m))
        if self._old_words(selection):
            return len(list(self._stored_mentions(replace(selection, limit=None), exclude)))
        return int(self._rows(*sql.count_sql(selection, exclude))[0][0])

    def _stored_authors(self, keys: set[str], exclude: frozenset[str]) -> dict[str, Tally]:
        if self._reads_documents:
            return tally((m for _, m in self._every() if m.id not in exclude), keys)
        rows = self._rows(*sql.authors_sql(keys, exclude))
        return {key: (count, from_micros(last)) for key, count, last in rows}

    @property
    def _reads_documents(self) -> bool:
        """Whether queries read every document: a schema 1 file, opened read-only, has no columns."""
        return self.schema is not None and self.schema < 2

    def _old_words(self, selection: MentionFilter) -> bool:
        """Whether `selection` searches words a schema 2 file (read-only) lacks: authors, notes, contacts.

        Then the other fields narrow in SQL, and the words are checked on the documents.
        """
        return bool(selection.words) and self.schema is not None and self.schema < SCHEMA

    def _end(self) -> int:
        return self._last_seq + 1

    def _commit(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        if self._conn is None:
            self._create(changes, states)
        else:
            self._apply(self._conn, changes, states)
            self._version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            self._conn.execute("BEGIN")  # reads go on in a new read transaction

    def _changed_since_read(self) -> bool:
        conn = self._conn
        if conn is None:
            return self.path.exists()
        with self._reading():
            if conn.in_transaction:
                conn.execute("COMMIT")  # the run's snapshot: inside it, others' commits are not seen
            return bool(conn.execute("PRAGMA data_version").fetchone()[0] != self._version)

    def _reopen(self) -> SQLiteStore:
        return SQLiteStore(
            self.path,
            location=self.location,
            write=True,
            busy_timeout=self._busy_ms / 1000,
            notice=self._notice,
        )

    def _close(self) -> None:
        self._documents = None
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    # Reading

    def _query(self, query: str, params: list[Any]) -> Iterator[Pair]:
        """(seq, mention) of each row `query` gives (seq, id, doc), read a few at a time."""
        if self._conn is None:
            return
        with self._reading():
            cursor = self._conn.execute(query, params)
            while rows := cursor.fetchmany(FETCH):
                for seq, mention_id, doc in rows:
                    yield seq, to_mention(self.path, parse_doc(self.path, mention_id, doc))

    def _every(self) -> list[Pair]:
        """Every stored mention, parsed: how a schema 1 file that may not be upgraded is queried."""
        if self._documents is None:
            self._documents = list(self._query("SELECT seq, id, doc FROM mentions ORDER BY seq", []))
        return self._documents

    # Writing

    def _apply(
        self, conn: sqlite3.Connection, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]
    ) -> None:
        """Every change in one transaction; on failure nothing of it is in the file."""
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")  # the read transaction: a write transaction replaces it
            with transaction(conn):
                write_changes(conn, [(c, self._record_of(c)) for _, c in changes], states)
        except sqlite3.Error as error:
            raise StoreError(f"cannot save database {self.path}: {describe(error)}") from None
        self._last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]

    def _create(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        """Write a new database in a temp file beside the path, then rename it into place."""
        with temp_beside(self.path) as (fd, temp):
            os.close(fd)
            try:
                conn = sqlite3.connect(temp, isolation_level=None)
                try:
                    with transaction(conn):
                        create(conn, self.path)
                    self._apply(conn, changes, states)
                    conn.execute("PRAGMA journal_mode = WAL")
                finally:
                    conn.close()
                with temp.open("rb+") as file:
                    os.fsync(file.fileno())
            except sqlite3.Error as error:
                raise StoreError(f"cannot save database {self.path}: {describe(error)}") from None
            except OSError as error:
                raise StoreError(f"cannot save database {self.path}: {reason(error)}") from error
            if self.path.exists():  # another process created it since we looked: never replace it
                raise StoreError(
                    f"cannot save database {self.path}: it was created by someone else meanwhile"
                )
            temp.replace(self.path)
        fsync_folder(self.path.parent)
        self._open()


def _without_words(selection: MentionFilter) -> MentionFilter:
    return replace(selection, words=(), limit=None)
