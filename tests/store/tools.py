"""What the store tests share: mentions to store, databases to fill, other processes to run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from tinydb import TinyDB

from mentionscan.models import Event, Mention
from mentionscan.store import database_path, open_store
from mentionscan.store.interface import search_text, words_of
from tests import pgtools

ROOT = Path(__file__).resolve().parent.parent.parent
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def make(i: int, **changes) -> Mention:
    mention = Mention(
        id=f"m{i:06d}",
        url=f"https://example.com/post/{i}",
        title=f"Post {i} about Widget",
        snippet="a snippet",
        author=None,
        author_url=None,
        author_email=None,
        published=None,
        found_at=T0 + timedelta(minutes=i),
        source="blog",
        source_type="rss",
        queries=("widget",),
        keys=(f"url:https://example.com/post/{i}", f"guid:blog:{i}"),
    )
    return replace(mention, **changes)


def full_mention() -> Mention:
    """Every field set to something other than its default, including awkward text."""
    return Mention(
        id="f00dcafe1234",
        url="https://example.com/a?b=1&c=2",
        title='Widget 2.0 — «quoted» "title" with \\ backslash, ],"keys":[ and an emoji 🚀',
        snippet="line one\nline two\ttab",
        author="Zoë Ünïcode",
        author_url="https://example.com/~zoe",
        author_email="zoe@example.com",
        published=T0 - timedelta(days=1),
        found_at=T0,
        source="hn",
        source_type="hn",
        queries=("widget", "widget 2"),
        status="contacted",
        keys=("url:https://example.com/a?b=1&c=2", 'guid:hn:],"x', "hash:abc"),
        text="full text\r\nwith CRLF",
        tags=("launch", "review"),
        timeline=(Event(at=T0, kind="found"), Event(at=T0 + timedelta(hours=1), kind="note", text="called")),
        due=T0 + timedelta(days=3),
        digested_at=T0 + timedelta(hours=2),
        contacts=({"kind": "email", "value": "zoe@example.com"},),
        extra={"score": 42, "ratio": 0.5, "nested": {"list": [1, "two", None, True]}},
    )


_POSTGRES: dict[str, str] = {}  # one database per folder and name, as a file would be


def location_in(folder: Path, backend: str, name: str = "db") -> str:
    """Where a database of `backend` called `name` lives in `folder`, as a user would configure it."""
    if backend == "sqlite":
        return f"sqlite:///{folder / (name + '.sqlite')}"
    if backend == "json":
        return str(folder / (name + ".json"))
    if backend == "postgres":
        key = f"{folder / name}"
        if key not in _POSTGRES:
            _POSTGRES[key] = pgtools.database_url()
        return _POSTGRES[key]
    raise ValueError(f"no such backend: {backend}")


def path_of(location: str) -> Path:
    return database_path(location)


def populate(location: str, count: int, start: int = 0) -> list[Mention]:
    mentions = [make(i) for i in range(start, start + count)]
    store_all(location, mentions)
    return mentions


def store_all(location: str, mentions: list[Mention], states: dict[str, dict] | None = None) -> None:
    with open_store(location) as store:
        for mention in mentions:
            store.put(mention)
        for name, value in (states or {}).items():
            store.set_state(name, value)
        store.save()


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def python(code: str, *args: object, **kwargs) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], env=env, text=True, cwd=ROOT, **kwargs
    )


HOLD_LOCK = """
import sys
from mentionscan.store import open_store
with open_store(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


# What schema 2 keeps of each mention, worked out here from the record alone


def micros(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp()) * 1_000_000 + when.microsecond


def expected_row(mention) -> tuple:
    return (
        mention.status,
        mention.source,
        micros(mention.found_at),
        micros(mention.published or mention.found_at),
        micros(mention.due),
        mention.author_key,
        micros(mention.last_contacted),
        micros(mention.digested_at),
    )


COLUMNS = "id, status, source, found_at, sort_at, due, author_key, last_contacted, digested_at"


def check_sqlite_rows(path: Path, mentions: list) -> None:
    """The columns, queries and words of each mention are what its record says."""
    conn = sqlite3.connect(path)
    try:
        rows = {row[0]: row[1:] for row in conn.execute(f"SELECT {COLUMNS} FROM mentions")}
        assert rows == {m.id: expected_row(m) for m in mentions}
        queries = set(
            conn.execute("SELECT m.id, q.query FROM mention_queries AS q JOIN mentions AS m USING (seq)")
        )
        assert queries == {(m.id, q) for m in mentions for q in m.queries}
        for mention in mentions:
            (seq,) = conn.execute("SELECT seq FROM mentions WHERE id = ?", (mention.id,)).fetchone()
            (words,) = conn.execute("SELECT words FROM mention_words WHERE rowid = ?", (seq,)).fetchone()
            assert words.split() == list(dict.fromkeys(words_of(search_text(mention))))
    finally:
        conn.close()


# Databases as the version before schema 2 wrote them: its own statements and layout, frozen
# here (not taken from the code, which has moved on), so that what it made can always be made.

SQLITE_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE mentions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE mention_keys (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE state (name TEXT NOT NULL UNIQUE, value TEXT NOT NULL);
"""


def schema_1_doc(mention: Mention) -> dict:
    doc = mention.to_dict()
    return {"id": doc["id"], "keys": doc["keys"], **doc}


def write_schema_1_sqlite(path: Path, mentions: list[Mention], states: dict[str, dict]) -> None:
    """An SQLite database exactly as schema 1 made it: its CREATE, its rows, WAL mode."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(f"BEGIN IMMEDIATE; {SQLITE_SCHEMA_1} COMMIT;")
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema', 1)")
        conn.execute("BEGIN IMMEDIATE")
        for seq, mention in enumerate(mentions, 1):
            conn.execute(
                "INSERT INTO mentions (seq, id, doc) VALUES (?, ?, ?)",
                (seq, mention.id, orjson.dumps(schema_1_doc(mention)).decode()),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO mention_keys (key, seq) VALUES (?, ?)",
                [(k, seq) for k in mention.keys],
            )
        conn.executemany(
            "INSERT INTO state (name, value) VALUES (?, ?)",
            [(name, orjson.dumps(value).decode()) for name, value in states.items()],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def write_schema_1_json(path: Path, mentions: list[Mention], states: dict[str, dict]) -> None:
    """A JSON database in schema 1's layout, as TinyDB itself writes it."""
    tiny = TinyDB(path)
    try:
        tiny.table("_meta").insert({"schema": 1})
        tiny.table("mentions").insert_multiple([schema_1_doc(m) for m in mentions])
        tiny.table("state").insert_multiple([{"name": n, "value": v} for n, v in states.items()])
    finally:
        tiny.close()


# An SQLite database as schema 2 made it: schema 1, then that version's upgrade, frozen here.
# Its words are those of the title, snippet and text only (schema 3 adds authors, notes, contacts).

SQLITE_SCHEMA_2 = (
    *(
        f"ALTER TABLE mentions ADD COLUMN {name} {kind}"
        for name, kind in (
            ("status", "TEXT"), ("source", "TEXT"), ("found_at", "INTEGER"), ("sort_at", "INTEGER"),
            ("due", "INTEGER"), ("author_key", "TEXT"), ("last_contacted", "INTEGER"),
            ("digested_at", "INTEGER"),
        )
    ),
    "CREATE TABLE mention_queries (seq INTEGER NOT NULL, query TEXT NOT NULL, PRIMARY KEY (seq, query)) "
    "WITHOUT ROWID",
    "CREATE VIRTUAL TABLE mention_words USING fts5(words, tokenize = 'ascii', detail = none)",
    "CREATE INDEX mention_queries_query ON mention_queries (query, seq)",
    "CREATE INDEX mentions_newest ON mentions (sort_at, found_at, id)",
    "CREATE INDEX mentions_status ON mentions (status, sort_at, found_at, id)",
    "CREATE INDEX mentions_source ON mentions (source, sort_at, found_at, id)",
    "CREATE INDEX mentions_found ON mentions (found_at)",
    "CREATE INDEX mentions_due ON mentions (due) WHERE due IS NOT NULL",
    "CREATE INDEX mentions_author ON mentions (author_key, last_contacted)",
    "CREATE INDEX mentions_undigested ON mentions (sort_at, found_at, id) WHERE digested_at IS NULL",
)  # fmt: skip


def write_schema_2_sqlite(path: Path, mentions: list[Mention], states: dict[str, dict]) -> None:
    """An SQLite database exactly as schema 2 left it: its columns, queries and (fewer) words."""
    write_schema_1_sqlite(path, mentions, states)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statement in SQLITE_SCHEMA_2:
            conn.execute(statement)
        for seq, mention in enumerate(mentions, 1):
            conn.execute(
                "UPDATE mentions SET status = ?, source = ?, found_at = ?, sort_at = ?, due = ?, "
                "author_key = ?, last_contacted = ?, digested_at = ? WHERE seq = ?",
                (*expected_row(mention), seq),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO mention_queries (seq, query) VALUES (?, ?)",
                [(seq, query) for query in mention.queries],
            )
            words = dict.fromkeys(words_of(f"{mention.title} {mention.snippet} {mention.text}"))
            conn.execute("INSERT INTO mention_words (rowid, words) VALUES (?, ?)", (seq, " ".join(words)))
        conn.execute("UPDATE meta SET value = 2 WHERE key = 'schema'")
        conn.execute("COMMIT")
    finally:
        conn.close()


# Each backend's older schemas, and what wrote each.
OLD_WRITERS = {
    "sqlite": {1: write_schema_1_sqlite, 2: write_schema_2_sqlite},
    "json": {1: write_schema_1_json},
}


def also(query: str):
    """A rebase that adds `query` to whatever the mention holds now."""

    def again(current):
        return None if query in current.queries else replace(current, queries=(*current.queries, query))

    return again
