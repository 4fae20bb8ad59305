"""The team backend: one PostgreSQL database (`database = "postgresql://user@host/db"`) that several
machines write at once, through psycopg 3 (`pip install 'mentionscan[postgres]'`).

Same records and behaviour as the file backends, but no whole-database lock: each `save()` is one
transaction that applies the changes to the rows as they are *now*.

- A changed mention is written only if its row is still the version that was read
  (compare-and-set on `version`); if someone changed it meanwhile, the change is applied again to
  the current row (`put(..., rebase=)`), or refused with `Conflict` when it cannot be.
- A new mention first takes its dedup keys in `dedup_keys` (`INSERT ... ON CONFLICT DO NOTHING`):
  two workers that found the same item at once meet there, and the second one's sighting is
  merged into the first one's mention instead of being stored twice.
- Fetch work is shared through `pg_team.py`; a job that must run once (a digest) is held with an
  advisory lock (`hold`), which the server lets go of when the holder's connection ends.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from psycopg import errors as pg_errors

import mentionscan.store.pg_query as sql
from mentionscan.errors import StoreError, StoreLocked
from mentionscan.store.base import BaseStore, Change, Holder, Stored
from mentionscan.store.docs import encodable, parse_doc, to_mention
from mentionscan.store.interface import MentionFilter, Team
from mentionscan.store.pg_connect import connect, describe, shown
from mentionscan.store.pg_schema import (
    KIND,
    SCHEMA,
    TABLES,
    escape,
    unescape,
)
from mentionscan.store.scan import Pair, Tally
from mentionscan.store.sqlite_schema import from_micros

if TYPE_CHECKING:
    from mentionscan.store.pg_team import PgTeam

FETCH = 500  # rows read at a time while a caller iterates
HOLDERS = (
    "SELECT k.key, k.seq, m.id, m.doc, m.version "
    "FROM mention_keys AS k JOIN mentions AS m USING (seq) WHERE k.key = ANY(%b::text[])"
)
# What opening needs, in one round trip: the meta rows (0) and which of our tables are missing (2).
# No meta table fails it (UndefinedTable), and `_probe` then tells a new database from a foreign one.
OPEN = (
    "SELECT 0, key, value FROM meta "
    "UNION ALL SELECT 2, t, '' FROM unnest(%b::text[]) AS t "
    "WHERE to_regclass(quote_ident(current_schema()) || '.' || quote_ident(t)) IS NULL"
)
PREFETCH = (
    f"{HOLDERS} UNION ALL "  # noqa: S608  # constants
    "SELECT NULL, seq, id, doc, version FROM mentions WHERE id = ANY(%b::text[])"
)
Row = tuple[Any, ...]  # seq, id, doc, version
RETRIES = 5  # a save that met a deadlock (two workers taking rows in another order) is tried again


class PgStore(BaseStore):
    """Mentions and state in a PostgreSQL database shared by every machine of a team."""

    shared = True

    def __init__(
        self,
        location: str,
        *,
        write: bool = True,
        password_env: str | None = None,
    ) -> None:
        super().__init__(Path(), location=location, write=write)
        self.path = shown(location)  # type: ignore[assignment]  # a URL, shown in every message
        self._versions: dict[str, int] = {}  # id -> the row version first read: what a change is based on
        self._keys_read: dict[str, list[Row]] = {}  # what `prefetch` read: key -> its holders
        self._rows_by_id: dict[str, Row | None] = {}  # id -> its row (None: not stored), from `prefetch`
        self._team: PgTeam | None = None
        self._password_env = password_env
        self._states_read: dict[str, dict[str, Any]] | None = {}  # None: not read yet
        self._conn = connect(location, password_env)
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    # Opening

    def _prepare(self) -> None:
        try:  # autocommit: a failed statement leaves the connection as it was
            rows = self._conn.execute(OPEN, [list(TABLES)]).fetchall()
        except (pg_errors.UndefinedTable, pg_errors.UndefinedColumn):
            rows = None  # no meta table (or not ours): the careful probe says which
        except psycopg.Error as error:
            raise StoreError(f"cannot read database {self.path}: {describe(error)}") from None
        if rows is None:
            self._probe()
            return
        meta = {key: value for part, key, value in rows if part == 0}
        missing = [key for part, key, _ in rows if part == 2]
        self._check_meta(meta)
        if missing:
            raise StoreError(f"database {self.path} has no table {missing[0]}; is it a mentionscan database?")
        self._states_read = None  # read when first asked for: `list` and `show` need none

    def _probe(self) -> None:
        """Which of our tables the database has: none (a new database), or a clear error."""
        with self._reading():
            present = {
                name
                for (name,) in self._conn.execute(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
                    [list(TABLES)],
                )
            }
            if not present:
                return  # a database with no mentionscan tables yet: the first save (or `db init`) makes them
            if "meta" not in present:
                raise StoreError(
                    f"database {self.path} has tables but no meta table: is it a mentionscan database?"
                )
            meta: dict[str, str] = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        self._check_meta(meta)
        missing = [t for t in TABLES if t not in present]
        if missing:
            raise StoreError(f"database {self.path} has no table {missing[0]}; is it a mentionscan database?")
        self._states_read = None  # read when first asked for

    def _check_meta(self, meta: dict[str, str]) -> None:
        if meta.get("kind") != KIND:
            raise StoreError(
                f"database {self.path} is not a mentionscan database (its meta table says otherwise)"
            )
        schema = int(meta["schema"]) if str(meta.get("schema", "")).isdigit() else meta.get("schema")
        self.schema = self._check_schema(schema, SCHEMA, "meta")
        if self.schema < SCHEMA:
            raise StoreError(
                f"database {self.path} has schema version {self.schema}; this mentionscan needs {SCHEMA}: "
                "run `mentionscan db upgrade` once (every worker can go on after it)"
            )

    @property  # type: ignore[override]
    def _states(self) -> dict[str, dict[str, Any]]:
        if self._states_read is None:
            self._states_read = self._load_states() if self.schema is not None else {}
        return self._states_read

    @_states.setter
    def _states(self, states: dict[str, dict[str, Any]]) -> None:
        self._states_read = states

    def _load_states(self) -> dict[str, dict[str, Any]]:
        with self._reading():
            rows = self._conn.execute("SELECT name, value FROM state ORDER BY seq").fetchall()
        return self._parse_states(rows)

    def _parse_states(self, rows: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        states: dict[str, dict[str, Any]] = {}
        for name, text in rows:
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                raise StoreError(f"cannot read database {self.path}: state {unescape(name)!r} is malformed")
            states[unescape(name)] = value
        return states

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as error:
            raise StoreError(f"cannot read database {self.path}: {describe(error)}") from None

    def _rows(self, query: str, params: Iterable[Any] = ()) -> list[Any]:
        if self.schema is None:
            return []
        with self._reading():
            return self._conn.execute(query, list(params)).fetchall()

    def _seen(self, mention_id: str, version: int) -> None:
        self._versions.setdefault(mention_id, version)

    # The primitives

    def _stored(self, mention_id: str) -> Stored | None:
        if mention_id in self._rows_by_id:
            row = self._rows_by_id[mention_id]
        else:
            rows = self._rows(
                "SELECT seq, id, doc, version FROM mentions WHERE id = %s", [escape(mention_id)]
            )
            row = rows[0] if rows else None
        if row is None:
            return None
        self._seen(mention_id, row[3])
        return Stored(row[0], row[2].encode("utf-8"))

    def prefetch(self, keys: Iterable[str], ids: Iterable[str] = ()) -> None:
        wanted = [k for k in dict.fromkeys(keys) if encodable(k)]
        named = [i for i in dict.fromkeys(ids) if encodable(i)]
        self._keys_read = {key: [] for key in wanted}
        self._rows_by_id = dict.fromkeys(named)
        # One round trip for both (a task's lookups, across a network): the holders of the keys
        # (key set), then the rows of the ids (key NULL).
        for key, *row in self._rows(PREFETCH, [[escape(k) for k in wanted], [escape(i) for i in named]]):
            if key is None:
                self._rows_by_id[unescape(row[1])] = tuple(row)
            else:
                self._keys_read[unescape(key)].append(tuple(row))

    def _stored_ids(self, prefix: str) -> list[str]:
        low = escape(prefix)
        high = sql.successor(low)
        if high is None:
            rows = self._rows("SELECT id FROM mentions WHERE id >= %s", [low])
        else:
            rows = self._rows("SELECT id FROM mentions WHERE id >= %s AND id < %s", [low, high])
        return [unescape(i) for (i,) in rows]

    def _stored_holders(self, keys: list[str], dropped: Mapping[str, Collection[str]]) -> dict[str, Holder]:
        found: dict[str, Holder] = {}
        if all(key in self._keys_read for key in keys):
            rows = [(key, *row) for key in keys for row in self._keys_read[key]]
        else:
            rows = [(unescape(key), *row) for key, *row in self._rows(HOLDERS, [[escape(k) for k in keys]])]
        for key, seq, escaped_id, doc, version in rows:
            mention_id = unescape(escaped_id)
            if mention_id not in dropped.get(key, ()) and (key not in found or seq < found[key].position):
                self._seen(mention_id, version)
                found[key] = Holder(seq, mention_id, doc.encode("utf-8"))
        return found

    def _stored_mentions(self, selection: MentionFilter, exclude: frozenset[str]) -> Iterable[Pair]:
        query, params = sql.select_sql(selection, exclude)
        if selection.limit and selection.limit <= FETCH and not sql.needs_check(selection):
            # A page (`list --limit 20`): read at once, without a server cursor's three round trips.
            return self._pairs(self._rows(query, params))
        pairs = self._query(query, params)
        if sql.needs_check(selection):
            return (pair for pair in pairs if selection.accepts(pair[1]))
        return pairs

    def _stored_count(self, selection: MentionFilter | None, exclude: frozenset[str]) -> int:
        if self.schema is None:
            return 0
        if selection is None:
            return int(self._rows("SELECT count(*) FROM mentions")[0][0]) - len(exclude)
        if sql.needs_check(selection):
            return sum(1 for _ in self._stored_mentions(selection, exclude))
        return int(self._rows(*sql.count_sql(selection, exclude))[0][0])

    def _stored_authors(self, keys: set[str], exclude: frozenset[str]) -> dict[str, Tally]:
        rows = self._rows(*sql.authors_sql(keys, exclude))
        return {unescape(key): (count, from_micros(last)) for key, count, last in rows}

    def _end(self) -> int:
        rows = self._rows("SELECT coalesce(max(seq), 0) FROM mentions")
        return int(rows[0][0]) + 1 if rows else 1

    def _query(self, query: str, params: list[Any]) -> Iterator[Pair]:
        """(seq, mention) of each row `query` gives (seq, id, doc, version), read a few at a time."""
        if self.schema is None:
            return
        with self._reading(), self._conn.cursor(name=f"q{time.monotonic_ns()}", withhold=True) as cursor:
            cursor.execute(query, params)
            while rows := cursor.fetchmany(FETCH):
                yield from self._pairs(rows)

    def _pairs(self, rows: list[Row]) -> Iterator[Pair]:
        for seq, escaped_id, doc, version in rows:
            mention_id = unescape(escaped_id)
            self._seen(mention_id, version)
            yield seq, to_mention(self.path, parse_doc(self.path, mention_id, doc))  # type: ignore[arg-type]

    # Writing

    def _commit(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        from mentionscan.store.pg_write import Writer, create

        for attempt in range(RETRIES):
            try:
                with self._conn.transaction():
                    if self.schema is None:
                        create(self._conn)
                    Writer(self._conn, self.path, self._versions, self._record_of).write(changes, states)
                    if self._team is not None:
                        self._team.commit(self._conn)
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                if attempt == RETRIES - 1:
                    raise StoreError(
                        f"cannot save database {self.path}: it stayed too busy; try again"
                    ) from None
                time.sleep(0.05 * (attempt + 1))
                continue
            except psycopg.Error as error:
                raise StoreError(f"cannot save database {self.path}: {describe(error)}") from None
            break
        self.schema = SCHEMA
        self._versions, self._keys_read, self._rows_by_id = {}, {}, {}

    def _more_to_save(self) -> bool:
        return self._team is not None and self._team.pending

    def _close(self) -> None:
        if self._team is not None:
            self._team.close()
            self._team = None
        with suppress(psycopg.Error):
            self._conn.close()

    # Sharing the database

    def team(self, lease: float) -> Team:
        from mentionscan.store.pg_team import PgTeam  # fetch's alone

        if self.schema is None:
            self.init()
        self._team = PgTeam(connect(self.location, self._password_env), lease=lease, where=str(self.path))
        return self._team

    @contextmanager
    def hold(self, job: str, timeout: float) -> Iterator[None]:
        """Hold `job` against every other process on this database (waiting up to `timeout` seconds)."""
        if self.schema is None:
            yield
            return
        key = f"mentionscan:{job}"
        try:
            self._conn.execute(f"SET lock_timeout = {max(1, int(timeout * 1000))}")
            self._conn.execute("SELECT pg_advisory_lock(hashtext(current_schema() || %s))", [key])
        except pg_errors.LockNotAvailable:
            raise StoreLocked(
                f"database {self.path}: another machine is doing the {job} (waited {timeout:g} s); "
                "try again when it ends"
            ) from None
        except psycopg.Error as error:
            raise StoreError(f"cannot use database {self.path}: {describe(error)}") from None
        try:
            self._states = self._load_states()  # as the last holder left them
            yield
        finally:
            with suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(hashtext(current_schema() || %s))", [key])

    def size(self) -> int:
        """Bytes the tables and their indexes take on the server."""
        rows = self._rows(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
        return int(rows[0][0])

    def init(self) -> bool:
        """Make the tables of the current schema if there are none; whether it made them."""
        from mentionscan.store.pg_write import create

        if self.schema is not None:
            return False
        try:
            with self._conn.transaction():
                made = create(self._conn)
        except psycopg.Error as error:
            raise StoreError(f"cannot create the tables in database {self.path}: {describe(error)}") from None
        self.schema = SCHEMA
        return made


def upgrade_database(location: str, password_env: str | None = None) -> tuple[int, int]:
    """Bring the database's tables to this version's schema, step by step in one transaction.

    Returns the schema before and after. Workers may keep running: each step takes the locks it
    needs and waits for theirs; a worker that started before sees the new schema at its next open.
    """
    from mentionscan.store.pg_write import upgrade

    conn = connect(location, password_env)
    try:
        with conn.transaction():
            return upgrade(conn, shown(location))
    except psycopg.Error as error:
        raise StoreError(
            f"cannot upgrade database {shown(location)}: {describe(error)}; it was left as it was"
        ) from None
    finally:
        conn.close()
