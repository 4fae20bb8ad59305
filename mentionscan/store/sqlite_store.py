"""The second backend: one SQLite file (`database = "sqlite:///path/mentions.db"`), for big histories.

Same records and behaviour as the JSON default, but nothing is loaded up front: a lookup is an
indexed query, so opening a database of a million mentions and adding one to it cost about the
same as with a hundred. The file holds::

    meta(key, value)                  schema version
    mentions(seq, id UNIQUE, doc)     doc = the mention's JSON, exactly as the JSON backend stores it
    mention_keys(key, seq)            dedup keys; PRIMARY KEY (key, seq), so a key's first holder is min(seq)
    state(name UNIQUE, value)         program state, JSON

Changes are held in memory until `save()`, which applies them in one `BEGIN IMMEDIATE`
transaction (WAL mode, so readers are never blocked). A database is created whole in a temp file
and renamed into place, so a crash during the first save leaves no file rather than half of one.
"""

from __future__ import annotations

import copy
import gc
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson

from mentionscan.errors import NotFound, StoreError
from mentionscan.models import Mention
from mentionscan.store import NaiveQueries, Store, ensure_folder
from mentionscan.store.interface import MentionFilter
from mentionscan.store.json_store import (
    _candidates,
    _fsync_folder,
    _serialise,
    ordered,
    remove_stale_temp_files,
    temp_prefix,
    unreadable,
)

SCHEMA = 1
MAGIC = b"SQLite format 3\x00"
TEMP_SUFFIX = ".tmp"
CACHE_KIB = 32 * 1024  # page cache: enough for the hot index pages of a million mentions

TABLES = ("meta", "mentions", "mention_keys", "state")
CREATE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE mentions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE mention_keys (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE state (name TEXT NOT NULL UNIQUE, value TEXT NOT NULL);
"""
# Every holder of up to FIND_BATCH keys, with its doc, through the primary key's index: one
# query for the usual two or three keys of an entry.
FIND_BATCH = 8
_FIND = (
    "SELECT k.key, m.seq, m.id, m.doc FROM mention_keys AS k JOIN mentions AS m USING (seq) WHERE k.key IN "
)
FIND_KEYS = {size: _FIND + "(" + ", ".join("?" * size) + ")" for size in range(1, FIND_BATCH + 1)}


class SQLiteStore(NaiveQueries, Store):
    """Mentions and state in an SQLite file; changes wait in memory for `save()`."""

    def __init__(
        self, path: Path, *, location: str | None = None, write: bool = True, busy_timeout: float = 30.0
    ) -> None:
        self.path = path
        self.location = location if location is not None else f"sqlite:///{path}"
        self._writable = write
        self._busy_ms = max(0, int(busy_timeout * 1000))
        self._writes = 0
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        self._last_seq = 0  # the highest seq stored
        # Changes since the last save, by mention id (in put order): the doc and its JSON text.
        self._changed: dict[str, tuple[dict[str, Any], str]] = {}
        self._stored_keys: dict[str, list[str]] = {}  # keys in the file of each changed stored mention
        self._order: dict[str, int] = {}  # seq of each changed mention (a provisional one when new)
        self._overlay_keys: dict[str, set[str]] = {}  # dedup key -> changed mentions holding it
        self._states: dict[str, dict[str, Any]] = {}
        self._dirty_states: set[str] = set()
        self._absent: set[str] = set()  # ids looked up and not stored (a put of a new one needs no lookup)
        if write:
            remove_stale_temp_files(path)
        if path.exists() or path.is_symlink():
            self._open()

    @property
    def writes(self) -> int:
        return self._writes

    # Opening

    def _open(self) -> None:
        self._check_header()
        uri = f"{self.path.resolve().as_uri()}?mode={'rw' if self._writable else 'ro'}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._busy_ms / 1000)
        except sqlite3.Error as error:
            raise StoreError(f"cannot read database {self.path}: {error}") from None
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
            self._check_schema(tables)
            missing = [t for t in TABLES if t not in tables]
            if missing:
                raise unreadable(self.path, f"it has no table {missing[0]}; is it a mentionscan database?")
            self._states = self._load_states()
            self._last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
            if self._writable and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            # One read transaction for every lookup until the save, rather than one per query: a
            # lookup costs half as much, and the run sees one state of the file throughout.
            conn.execute("BEGIN")

    def _check_header(self) -> None:
        try:
            with self.path.open("rb") as file:
                head = file.read(len(MAGIC))
        except OSError as error:
            raise StoreError(f"cannot read database {self.path}: {_reason(error)}") from error
        if not head:
            raise unreadable(self.path, "the file is empty")
        if head != MAGIC:
            raise unreadable(self.path, "it is not an SQLite database")

    def _check_schema(self, tables: set[str]) -> None:
        assert self._conn is not None
        row = (
            self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if "meta" in tables
            else None
        )
        if row is None:
            raise unreadable(
                self.path, "it has no schema version (table meta); is it a mentionscan database?"
            )
        schema = row[0]
        if type(schema) is not int or schema < 1:
            raise unreadable(self.path, f"its schema version {schema!r} is not a positive whole number")
        if schema > SCHEMA:
            raise StoreError(
                f"database {self.path} has schema version {schema}, and this mentionscan reads only "
                f"version {SCHEMA}: it is too old for this database — upgrade mentionscan"
            )

    def _load_states(self) -> dict[str, dict[str, Any]]:
        assert self._conn is not None
        states: dict[str, dict[str, Any]] = {}
        for name, text in self._conn.execute("SELECT name, value FROM state ORDER BY rowid"):
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
            raise unreadable(self.path, _describe(error)) from None

    # Reading

    def _every(self) -> list[Mention]:
        self._check_open()
        docs: dict[str, dict[str, Any]] = {}
        enabled = gc.isenabled()
        gc.disable()  # as in the JSON backend: parsing makes many objects, none in a cycle
        try:
            if self._conn is not None:
                with self._reading():
                    rows = self._conn.execute("SELECT id, doc FROM mentions ORDER BY seq").fetchall()
                for mention_id, text in rows:
                    docs[mention_id] = (
                        self._changed[mention_id][0]
                        if mention_id in self._changed
                        else (self._parse(mention_id, text))
                    )
            for mention_id, (doc, _) in self._changed.items():
                docs.setdefault(mention_id, doc)
            return [self._mention(doc) for doc in docs.values()]
        finally:
            if enabled:
                gc.enable()

    def get(self, mention_id: str) -> Mention | None:
        self._check_open()
        if mention_id in self._changed:
            return self._mention(self._changed[mention_id][0])
        stored = self._stored(mention_id)
        if stored is None:
            self._absent.add(mention_id)
            return None
        return self._mention(self._parse(mention_id, stored[1]))

    def resolve(self, prefix: str) -> Mention:
        self._check_open()
        exact = self.get(prefix) if prefix else None
        if exact is not None:
            return exact
        matches = sorted(
            set(self._stored_ids_starting(prefix)) | {i for i in self._changed if i.startswith(prefix)}
        )
        if not prefix or not matches:
            raise NotFound(f"no mention with id {prefix!r}")
        if len(matches) > 1:
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {_candidates(prefix, matches)}")
        found = self.get(matches[0])
        assert found is not None
        return found

    def find_by_keys(self, keys: Iterable[str]) -> Mention | None:
        self._check_open()
        wanted = [k for k in dict.fromkeys(keys) if _encodable(k)]
        if not wanted:
            return None
        # Every holder of each key, as (seq, id, stored doc or None when the change is newer).
        holders: dict[str, list[tuple[int, str, str | None]]] = {k: [] for k in wanted}
        if self._conn is not None:
            for start in range(0, len(wanted), FIND_BATCH):
                batch = wanted[start : start + FIND_BATCH]
                try:
                    rows = self._conn.execute(FIND_KEYS[len(batch)], batch).fetchall()
                except sqlite3.Error as error:
                    raise unreadable(self.path, _describe(error)) from None
                for key, seq, mention_id, text in rows:
                    if mention_id not in self._changed:  # a changed mention's keys are its new ones
                        holders[key].append((seq, mention_id, text))
        for key in wanted:
            holders[key].extend((self._order[i], i, None) for i in self._overlay_keys.get(key, ()))
            if holders[key]:
                # A key two mentions share belongs to the one stored first.
                _, mention_id, text = min(holders[key])
                if text is None:
                    return self._mention(self._changed[mention_id][0])
                return self._mention(self._parse(mention_id, text))
        return None

    def state(self, name: str) -> dict[str, Any]:
        self._check_open()
        return copy.deepcopy(self._states.get(name, {}))

    def states(self) -> dict[str, dict[str, Any]]:
        self._check_open()
        return copy.deepcopy(self._states)

    def count(self, selection: MentionFilter | None = None) -> int:
        """How many mentions are stored (changes included), without reading them."""
        if selection is not None:
            return NaiveQueries.count(self, selection)
        self._check_open()
        stored = 0
        if self._conn is not None:
            with self._reading():
                stored = self._conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
        return stored + sum(1 for i in self._changed if self._order[i] > self._last_seq)

    # Changing

    def put(self, mention: Mention) -> None:
        """Insert or replace by id; lone surrogates in text become U+FFFD (they have no UTF-8 form).

        Raises TypeError when `extra` holds something JSON cannot carry.
        """
        self._check_open()
        doc, payload = _serialise(ordered(mention.to_dict()), f"mention {mention.id}")
        text = payload.decode("utf-8")
        mention_id: str = doc["id"]
        if mention_id in self._changed:
            if self._changed[mention_id][1] == text:
                return
            for key in self._changed[mention_id][0]["keys"]:
                self._overlay_keys.get(key, set()).discard(mention_id)
        else:
            stored = None if mention_id in self._absent else self._stored(mention_id)
            if stored is not None and stored[1] == text:
                return
            if stored is None:
                self._order[mention_id] = self._last_seq + 1 + len(self._changed)
            else:
                self._order[mention_id] = stored[0]
                self._stored_keys[mention_id] = list(self._parse(mention_id, stored[1]).get("keys") or ())
        self._changed[mention_id] = (doc, text)
        for key in doc["keys"]:
            self._overlay_keys.setdefault(key, set()).add(mention_id)

    def set_state(self, name: str, value: dict[str, Any]) -> None:
        """Raises TypeError when `value` holds something JSON cannot carry."""
        self._check_open()
        _, payload = _serialise({"name": name, "value": dict(value)}, f"state {name!r}")
        doc = orjson.loads(payload)  # a copy that shares nothing with the caller's value
        if doc["name"] in self._states and self._states[doc["name"]] == doc["value"]:
            return
        self._states[doc["name"]] = doc["value"]
        self._dirty_states.add(doc["name"])

    def save(self) -> None:
        self._check_open()
        if not self._writable:
            raise StoreError(f"database {self.path} was opened read-only; nothing was saved")
        if not self._changed and not self._dirty_states:
            return
        if self._conn is None:
            self._create()
        else:
            self._apply(self._conn)
            self._conn.execute("BEGIN")  # reads go on in a new read transaction
        self._writes += 1
        self._changed, self._stored_keys, self._order, self._overlay_keys = {}, {}, {}, {}
        self._dirty_states, self._absent = set(), set()

    def close(self) -> None:
        self._closed = True
        self._changed, self._stored_keys, self._order, self._overlay_keys = {}, {}, {}, {}
        self._states = {}
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    # Writing

    def _apply(self, conn: sqlite3.Connection) -> None:
        """Every change in one transaction; on failure nothing of it is in the file."""
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")  # the read transaction: a write transaction replaces it
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write_changes(conn)
                conn.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise StoreError(f"cannot save database {self.path}: {_describe(error)}") from None
        self._last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]

    def _write_changes(self, conn: sqlite3.Connection) -> None:
        last = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
        new_rows: list[tuple[int, str, str]] = []
        new_keys: list[tuple[str, int]] = []
        old_keys: list[tuple[str, int]] = []
        updates: list[tuple[str, int]] = []
        for mention_id, (doc, text) in self._changed.items():
            if mention_id in self._stored_keys:
                seq = self._order[mention_id]
                updates.append((text, seq))
                old_keys.extend((key, seq) for key in self._stored_keys[mention_id])
            else:
                last += 1
                seq = last
                new_rows.append((seq, mention_id, text))
            new_keys.extend((key, seq) for key in doc["keys"])
        conn.executemany("UPDATE mentions SET doc = ? WHERE seq = ?", updates)
        conn.executemany("DELETE FROM mention_keys WHERE key = ? AND seq = ?", old_keys)
        conn.executemany("INSERT INTO mentions (seq, id, doc) VALUES (?, ?, ?)", new_rows)
        # In key order: each index page is then changed by one run of inserts, not visited again
        # and again (a tenth of the save at a million mentions).
        new_keys.sort()
        conn.executemany("INSERT OR IGNORE INTO mention_keys (key, seq) VALUES (?, ?)", new_keys)
        conn.executemany(
            "INSERT INTO state (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [(name, orjson.dumps(self._states[name]).decode("utf-8")) for name in self._dirty_states],
        )

    def _create(self) -> None:
        """Write a new database in a temp file beside the path, then rename it into place."""
        ensure_folder(self.path)
        folder = self.path.parent
        try:
            fd, name = tempfile.mkstemp(prefix=temp_prefix(self.path), suffix=TEMP_SUFFIX, dir=folder)
            os.close(fd)  # mkstemp made it 0600: it holds people's names and addresses
        except OSError as error:
            raise StoreError(f"cannot save database {self.path}: {_reason(error)}") from error
        temp = Path(name)
        try:
            try:
                conn = sqlite3.connect(temp, isolation_level=None)
                try:
                    conn.executescript(f"BEGIN IMMEDIATE; {CREATE} COMMIT;")
                    conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA,))
                    self._apply(conn)
                    conn.execute("PRAGMA journal_mode = WAL")
                finally:
                    conn.close()
                with temp.open("rb+") as file:
                    os.fsync(file.fileno())
            except sqlite3.Error as error:
                raise StoreError(f"cannot save database {self.path}: {_describe(error)}") from None
            except OSError as error:
                raise StoreError(f"cannot save database {self.path}: {_reason(error)}") from error
            if self.path.exists():  # another process created it since we looked: never replace it
                raise StoreError(
                    f"cannot save database {self.path}: it was created by someone else meanwhile"
                )
            temp.replace(self.path)
        except BaseException:
            with suppress(OSError):
                temp.unlink()
            raise
        _fsync_folder(folder)
        self._open()

    # Helpers

    def _stored(self, mention_id: str) -> tuple[int, str] | None:
        """(seq, doc text) of the stored mention with this id."""
        if self._conn is None or not _encodable(mention_id):
            return None
        try:
            row = self._conn.execute("SELECT seq, doc FROM mentions WHERE id = ?", (mention_id,)).fetchone()
        except sqlite3.Error as error:
            raise unreadable(self.path, _describe(error)) from None
        return None if row is None else (row[0], row[1])

    def _stored_ids_starting(self, prefix: str) -> list[str]:
        if self._conn is None or not prefix or not _encodable(prefix):
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

    def _parse(self, mention_id: str, text: str) -> dict[str, Any]:
        try:
            doc = orjson.loads(text)
        except (orjson.JSONDecodeError, TypeError) as error:
            raise unreadable(self.path, f"mention {mention_id!r} is malformed ({error})") from None
        if not isinstance(doc, dict):
            raise unreadable(self.path, f"mention {mention_id!r} is malformed (not a JSON object)")
        return doc

    def _mention(self, doc: dict[str, Any]) -> Mention:
        try:
            return Mention.from_dict(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise unreadable(self.path, f"mention {doc.get('id')!r} is malformed ({error})") from error

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"database {self.path} is closed")


def _encodable(text: str) -> bool:
    """Whether SQLite can take `text` (a lone surrogate has no UTF-8 form, so nothing stored has one)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text:
        return "it is not an SQLite database, or it is damaged"
    if "malformed" in text:
        return f"it is damaged ({text})"
    return text


def _reason(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)
