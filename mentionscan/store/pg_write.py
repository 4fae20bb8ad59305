"""One PostgreSQL save: every change applied to the rows as they are now, inside the caller's transaction.

A changed mention is written over its row only if the row is still the version that was read;
otherwise its `rebase` is applied to the current row (a note added to what is there now), or the
save is refused (`Conflict`). A new mention takes its dedup keys first, all of them in key order
(two saves then never wait on each other in a circle): a key already taken by a mention another
worker stored meanwhile means the same item, and its sighting is merged into that mention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import psycopg

from mentionscan.errors import Conflict, StoreError
from mentionscan.models import Mention
from mentionscan.store.base import Change
from mentionscan.store.docs import ordered, parse_doc, serialise, to_mention
from mentionscan.store.pg_schema import CREATE, INSERT, KIND, SCHEMA, UPDATE, UPGRADES, columns, escape

Rebase = Callable[[Mention], Mention | None]


def create(conn: psycopg.Connection) -> bool:
    """Make every table of the current schema unless they are there (inside the caller's transaction)."""
    # Two workers starting on a new database at once: the second waits here, then finds the tables.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':mentionscan:create'))")
    exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
    if exists and exists[0]:
        row = conn.execute("SELECT value FROM meta WHERE key = 'kind'").fetchone()
        if row is None or row[0] != KIND:
            raise psycopg.errors.DuplicateTable("a table named meta is there already, not mentionscan's")
        return False
    # One round trip: with no parameters psycopg sends it as a simple query, which runs many statements.
    conn.execute(";\n".join(CREATE))  # type: ignore[arg-type]  # constants of pg_schema
    return True


def upgrade(
    conn: psycopg.Connection, where: str, steps: dict[int, tuple[str, ...]] = UPGRADES, target: int = SCHEMA
) -> tuple[int, int]:
    """Run the steps from the database's schema to `target` (inside the caller's transaction)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':mentionscan:create'))")
    if not (row := conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()) or not row[0]:
        raise StoreError(f"database {where} has no mentionscan tables: run `mentionscan db init` first")
    found = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    old = int(found[0]) if found and str(found[0]).isdigit() else 0
    if old < 1:
        raise StoreError(f"database {where} has no schema version in its meta table: is it mentionscan's?")
    if old > target:
        raise StoreError(
            f"database {where} has schema version {old}, newer than this mentionscan's {target}: "
            "upgrade mentionscan on this machine"
        )
    for version in range(old, target):
        for statement in steps[version]:
            conn.execute(statement)  # type: ignore[arg-type]  # constants of pg_schema
    conn.execute("UPDATE meta SET value = %s WHERE key = 'schema'", [str(target)])
    return old, target


class Writer:
    """Writes one batch of changes and states through `conn` (in a transaction the caller holds)."""

    def __init__(
        self,
        conn: psycopg.Connection,
        where: object,
        versions: dict[str, int],
        record: Callable[[Change], Mention],
    ) -> None:
        self.conn = conn
        self.where = where  # the database, for messages
        self.versions = versions
        self.record = record

    def write(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        replaced = sorted((item for item in changes if item[1].replaces), key=lambda item: item[0])
        for mention_id, change in replaced:  # in id order: rows are locked in one order by everyone
            self._replace(mention_id, change)
        new = [item for item in changes if not item[1].replaces]
        if new:
            self._insert(new)
        if states:
            names = sorted(states)
            self.conn.execute(
                "INSERT INTO state (name, value) "
                "SELECT name, value FROM unnest(%b::text[], %b::text[]) WITH ORDINALITY AS s(name, value, n) "
                "ORDER BY n ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [[escape(n) for n in names], [orjson.dumps(states[n]).decode("utf-8") for n in names]],
            )

    # Changed mentions

    def _replace(self, mention_id: str, change: Change) -> None:
        row = self.conn.execute(
            "SELECT seq, doc, version FROM mentions WHERE id = %s FOR UPDATE", [escape(mention_id)]
        ).fetchone()
        if row is None:
            raise Conflict(f"mention {mention_id} was removed by someone else meanwhile; nothing was saved")
        seq, doc, version = row
        if version == self.versions.get(mention_id):
            self._rewrite(seq, self.record(change), change.payload, change.stored_keys or ())
            return
        self._rebase_into(seq, doc, change)

    def _rebase_into(self, seq: int, doc: str, change: Change) -> None:
        """Apply `change.rebase` to the mention stored now at `seq` (locked by the caller)."""
        current = to_mention(self.where, parse_doc(self.where, seq, doc))  # type: ignore[arg-type]
        rebase: Rebase | None = getattr(change, "rebase", None)
        if rebase is None:
            raise Conflict(
                f"mention {current.id} was changed by someone else since it was read; nothing was saved: "
                "run the command again"
            )
        changed = rebase(current)
        if changed is None or changed == current:
            return
        doc_dict, payload = serialise(ordered(changed.to_dict()), f"mention {changed.id}")
        self._rewrite(seq, to_mention(self.where, doc_dict), payload, current.keys)  # type: ignore[arg-type]

    def _rewrite(self, seq: int, mention: Mention, payload: bytes, old_keys: tuple[str, ...]) -> None:
        cols = columns(mention)
        self.conn.execute(UPDATE, [payload.decode("utf-8"), *cols, seq])  # type: ignore[arg-type]
        old, new = {escape(k) for k in old_keys}, {escape(k) for k in mention.keys}
        if removed := sorted(old - new):
            self.conn.execute(
                "DELETE FROM mention_keys WHERE seq = %s AND key = ANY(%b::text[])", [seq, removed]
            )
            gone = self.conn.execute(
                "DELETE FROM dedup_keys WHERE seq = %s AND key = ANY(%b::text[]) RETURNING key",
                [seq, removed],
            ).fetchall()
            if gone:  # the next holder of each becomes its first
                self.conn.execute(
                    "INSERT INTO dedup_keys (key, seq) SELECT key, min(seq) FROM mention_keys "
                    "WHERE key = ANY(%b::text[]) GROUP BY key ON CONFLICT (key) DO NOTHING",
                    [[k for (k,) in gone]],
                )
        if added := sorted(new - old):
            self.conn.execute(
                "INSERT INTO mention_keys (key, seq) SELECT unnest(%b::text[]), %s ON CONFLICT DO NOTHING",
                [added, seq],
            )
            self.conn.execute(
                "INSERT INTO dedup_keys (key, seq) SELECT unnest(%b::text[]), %s "
                "ON CONFLICT (key) DO UPDATE SET seq = least(dedup_keys.seq, excluded.seq)",
                [added, seq],
            )
        self.conn.execute("DELETE FROM mention_queries WHERE seq = %s", [seq])
        self._queries([(seq, mention)])

    # New mentions

    def _insert(self, new: list[tuple[str, Change]]) -> None:
        seqs = sorted(
            r[0]
            for r in self.conn.execute(
                "SELECT nextval('mention_seq') FROM generate_series(1, %s)", [len(new)]
            )
        )
        pending = [(seq, mention_id, change) for seq, (mention_id, change) in zip(seqs, new, strict=True)]
        ours = set(seqs)
        pairs = sorted({(escape(key), seq) for seq, _, change in pending for key in change.keys})
        owners: dict[str, int] = dict(
            self.conn.execute(
                "INSERT INTO dedup_keys (key, seq) SELECT * FROM unnest(%b::text[], %b::bigint[]) "
                "ORDER BY 1, 2 ON CONFLICT (key) DO NOTHING RETURNING key, seq",
                [[k for k, _ in pairs], [s for _, s in pairs]],
            ).fetchall()
        )
        missing = sorted({k for k, _ in pairs} - owners.keys())
        if missing:
            owners.update(
                self.conn.execute(
                    "SELECT key, seq FROM dedup_keys WHERE key = ANY(%b::text[])", [missing]
                ).fetchall()
            )
        kept = []
        for seq, mention_id, change in pending:
            other = next(
                (owners[k] for k in map(escape, change.keys) if owners.get(k, seq) not in ours),
                None,
            )
            if other is not None and getattr(change, "rebase", None) is not None:
                # Another worker stored this item since we looked: merge our sighting into theirs.
                self.conn.execute("DELETE FROM dedup_keys WHERE seq = %s", [seq])
                self._rebase_at(other, change)
            else:
                kept.append((seq, mention_id, change))
        self._insert_rows(kept)

    def _rebase_at(self, seq: int, change: Change) -> None:
        row = self.conn.execute("SELECT doc FROM mentions WHERE seq = %s FOR UPDATE", [seq]).fetchone()
        if row is None:
            raise Conflict("a mention was removed by someone else meanwhile; nothing was saved")
        self._rebase_into(seq, row[0], change)

    def _insert_rows(self, kept: list[tuple[int, str, Change]]) -> None:
        if not kept:
            return
        records = [(seq, mention_id, change, self.record(change)) for seq, mention_id, change in kept]
        rows = []
        for seq, mention_id, change, mention in records:
            *cols, words, whole = columns(mention)
            payload = change.payload.decode("utf-8")
            rows.append((seq, escape(mention_id), payload, *cols, " ".join(words), whole))
        # One statement for them all (a statement a row made the server plan and run each apart).
        by_column = [list(column) for column in zip(*rows, strict=True)]
        inserted = {seq for (seq,) in self.conn.execute(INSERT, by_column)}
        stored = []
        for seq, mention_id, change, mention in records:
            if seq in inserted:
                stored.append((seq, mention))
                continue
            # the same id, stored by someone else since we looked
            self.conn.execute("DELETE FROM dedup_keys WHERE seq = %s", [seq])
            row = self.conn.execute(
                "SELECT seq, doc FROM mentions WHERE id = %s FOR UPDATE", [escape(mention_id)]
            ).fetchone()
            if row is None:
                raise Conflict(f"mention {mention_id} could not be stored; nothing was saved: try again")
            self._rebase_into(row[0], row[1], change)
        keys = sorted({(escape(key), seq) for seq, mention in stored for key in mention.keys})
        if keys:
            self.conn.execute(
                "INSERT INTO mention_keys (key, seq) SELECT * FROM unnest(%b::text[], %b::bigint[]) "
                "ON CONFLICT DO NOTHING",
                [[k for k, _ in keys], [s for _, s in keys]],
            )
        self._queries(stored)

    def _queries(self, stored: list[tuple[int, Mention]]) -> None:
        rows = [(seq, escape(q)) for seq, mention in stored for q in dict.fromkeys(mention.queries)]
        if rows:
            self.conn.execute(
                "INSERT INTO mention_queries (seq, query) SELECT * FROM unnest(%b::bigint[], %b::text[])",
                [[s for s, _ in rows], [q for _, q in rows]],
            )
