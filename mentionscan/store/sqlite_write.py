"""One SQLite save: the changes of a unit of work as rows, in one write transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import orjson

from mentionscan.models import Mention
from mentionscan.store.base import Change
from mentionscan.store.sqlite_schema import INSERT, UPDATE, columns, words


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction: committed when the block ends, rolled back when it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_changes(
    conn: sqlite3.Connection, changes: list[tuple[Change, Mention]], states: dict[str, dict[str, Any]]
) -> None:
    """Each change (with the mention to derive its columns from) and state, as rows, in `conn`'s
    transaction: a replaced mention's row and index rows rewritten; a new one after the last."""
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
    new_rows: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    old_keys: list[tuple[str, int]] = []
    new_keys: list[tuple[str, int]] = []
    queries: list[tuple[int, str]] = []
    texts: list[tuple[int, str]] = []
    for change, mention in changes:
        text = change.payload.decode("utf-8")
        if change.replaces:
            seq = change.position
            updates.append((text, *columns(mention), seq))
            old_keys.extend((key, seq) for key in change.stored_keys or ())
        else:
            last += 1
            seq = last
            new_rows.append((seq, mention.id, text, *columns(mention)))
        new_keys.extend((key, seq) for key in change.keys)
        queries.extend((seq, query) for query in dict.fromkeys(mention.queries))
        texts.append((seq, words(mention)))
    replaced = [(seq,) for *_, seq in updates]
    conn.executemany(UPDATE, updates)
    conn.executemany("DELETE FROM mention_keys WHERE key = ? AND seq = ?", old_keys)
    conn.executemany("DELETE FROM mention_queries WHERE seq = ?", replaced)
    conn.executemany("DELETE FROM mention_words WHERE rowid = ?", replaced)
    conn.executemany(INSERT, new_rows)
    # In key order: each index page is then changed by one run of inserts, not visited again
    # and again (a tenth of the save at a million mentions).
    new_keys.sort()
    conn.executemany("INSERT OR IGNORE INTO mention_keys (key, seq) VALUES (?, ?)", new_keys)
    conn.executemany("INSERT INTO mention_queries (seq, query) VALUES (?, ?)", queries)
    conn.executemany("INSERT INTO mention_words (rowid, words) VALUES (?, ?)", texts)
    conn.executemany(
        "INSERT INTO state (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [(name, orjson.dumps(value).decode("utf-8")) for name, value in states.items()],
    )
