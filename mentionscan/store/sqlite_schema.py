"""The SQLite backend's schema, version by version, and the columns it derives from a mention.

Schema 1 kept each mention as its JSON document only (`mentions.doc`, still the full record).
Schema 2 adds what queries need, each derived from the document by `columns` and `words`:

    mentions(seq, id, doc, status, source, found_at, sort_at, due, author_key, last_contacted,
             digested_at)                   times in microseconds since 1970 (exact, and they sort)
    mention_queries(seq, query)             the queries each mention matched
    mention_words                           FTS5: the folded words of title, snippet and text

Schema 3 keeps in `mention_words` what a search reads now (`search_text`): the author's name
and address, the notes and the contacts too; its upgrade derives them again for every mention.

A new database is made as schema 1 and then upgraded, so that a new file and an upgraded one
are the same. An upgrade runs inside the caller's transaction: killed part way, it leaves the
database as it was.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mentionscan.models import Mention
from mentionscan.store.docs import parse_doc, to_mention
from mentionscan.store.interface import search_text, sort_time, words_of

SCHEMA = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
UPGRADE_BATCH = 5000

TABLES = {
    1: ("meta", "mentions", "mention_keys", "state"),
    2: ("meta", "mentions", "mention_keys", "state", "mention_queries", "mention_words"),
    3: ("meta", "mentions", "mention_keys", "state", "mention_queries", "mention_words"),
}
SCHEMA_1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE TABLE mentions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)",
    "CREATE TABLE mention_keys (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) "
    "WITHOUT ROWID",
    "CREATE TABLE state (name TEXT NOT NULL UNIQUE, value TEXT NOT NULL)",
    "INSERT INTO meta (key, value) VALUES ('schema', 1)",
)
COLUMNS = ("status", "source", "found_at", "sort_at", "due", "author_key", "last_contacted", "digested_at")
TYPES = ("TEXT", "TEXT", "INTEGER", "INTEGER", "INTEGER", "TEXT", "INTEGER", "INTEGER")
SCHEMA_2 = (
    *(f"ALTER TABLE mentions ADD COLUMN {name} {kind}" for name, kind in zip(COLUMNS, TYPES, strict=True)),
    "CREATE TABLE mention_queries (seq INTEGER NOT NULL, query TEXT NOT NULL, PRIMARY KEY (seq, query)) "
    "WITHOUT ROWID",
    # The ascii tokenizer splits only at ASCII punctuation and space: the words, folded and
    # joined by spaces before they get here, come out exactly as `words_of` made them.
    "CREATE VIRTUAL TABLE mention_words USING fts5(words, tokenize = 'ascii', detail = none)",
)
# Made after the upgrade has filled the columns: building an index once is faster than growing it.
INDEXES_2 = (
    "CREATE INDEX mention_queries_query ON mention_queries (query, seq)",
    "CREATE INDEX mentions_newest ON mentions (sort_at, found_at, id)",
    "CREATE INDEX mentions_status ON mentions (status, sort_at, found_at, id)",
    "CREATE INDEX mentions_source ON mentions (source, sort_at, found_at, id)",
    "CREATE INDEX mentions_found ON mentions (found_at)",
    "CREATE INDEX mentions_due ON mentions (due) WHERE due IS NOT NULL",
    "CREATE INDEX mentions_author ON mentions (author_key, last_contacted)",
    "CREATE INDEX mentions_undigested ON mentions (sort_at, found_at, id) WHERE digested_at IS NULL",
)
INSERT = f"INSERT INTO mentions (seq, id, doc, {', '.join(COLUMNS)}) VALUES (?, ?, ?{', ?' * len(COLUMNS)})"  # noqa: S608
UPDATE = f"UPDATE mentions SET doc = ?, {', '.join(c + ' = ?' for c in COLUMNS)} WHERE seq = ?"  # noqa: S608
FILL = f"UPDATE mentions SET {', '.join(c + ' = ?' for c in COLUMNS)} WHERE seq = ?"  # noqa: S608


def micros(when: datetime | None) -> int | None:
    """A time as whole microseconds since 1970: exact, so that SQL compares what Python would."""
    return None if when is None else (when - EPOCH) // MICROSECOND


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + value * MICROSECOND


def columns(mention: Mention) -> tuple[Any, ...]:
    """The values of `COLUMNS` for `mention`."""
    return (
        mention.status,
        mention.source,
        micros(mention.found_at),
        micros(sort_time(mention)),
        micros(mention.due),
        mention.author_key,
        micros(mention.last_contacted),
        micros(mention.digested_at),
    )


def words(mention: Mention) -> str:
    """What `mention_words` holds for `mention`: each folded word of its `search_text`, once."""
    return " ".join(dict.fromkeys(words_of(search_text(mention))))


def create(conn: sqlite3.Connection, path: Path) -> None:
    """Make every table of the current schema in an empty database (inside the caller's transaction)."""
    for statement in SCHEMA_1:
        conn.execute(statement)
    upgrade(conn, 1, path)


def upgrade(conn: sqlite3.Connection, schema: int, path: Path) -> None:
    """Bring a database of `schema` to `SCHEMA`, inside the caller's transaction."""
    if schema < 2:
        for statement in SCHEMA_2:
            conn.execute(statement)
        fill(conn, path)  # the words as schema 3 keeps them, already
        for statement in INDEXES_2:
            conn.execute(statement)
    elif schema < 3:
        conn.execute("DELETE FROM mention_words")
        fill(conn, path, words_only=True)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA,))


def fill(conn: sqlite3.Connection, path: Path, *, words_only: bool = False) -> None:
    """Derive the columns, queries and words (or the words only) from every stored document."""
    last = 0
    while True:
        # In batches by seq, each read whole before it is written: a table changed under an
        # open SELECT on it may be read oddly.
        rows = conn.execute(
            "SELECT seq, id, doc FROM mentions WHERE seq > ? ORDER BY seq LIMIT ?", (last, UPGRADE_BATCH)
        ).fetchall()
        if not rows:
            return
        mentions = [
            (seq, to_mention(path, parse_doc(path, mention_id, doc))) for seq, mention_id, doc in rows
        ]
        if not words_only:
            conn.executemany(FILL, [(*columns(m), seq) for seq, m in mentions])
            conn.executemany(
                "INSERT OR IGNORE INTO mention_queries (seq, query) VALUES (?, ?)",
                [(seq, query) for seq, m in mentions for query in m.queries],
            )
        conn.executemany(
            "INSERT INTO mention_words (rowid, words) VALUES (?, ?)", [(seq, words(m)) for seq, m in mentions]
        )
        last = rows[-1][0]
