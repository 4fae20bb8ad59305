"""The PostgreSQL backend's schema, version by version, and what it keeps of a mention.

    meta(key, value)                        'schema': the version; 'kind': 'mentionscan'
    mentions(seq, id, doc, version, status, source, found_at, sort_at, due, author_key,
             last_contacted, digested_at, words, words_whole)
                                            `doc` is the full record (text: byte for byte what
                                            the other backends keep); times in microseconds since
                                            1970; `version` counts the row's changes (compare-and-set)
    mention_keys(key, seq)                  every holder of each dedup key
    dedup_keys(key, seq)                    the first holder of each key: unique, so that two
                                            workers storing one item at once meet in its key
    mention_queries(seq, query)             the queries each mention matched
    state(name, value)                      program state (cursors, health, digest), JSON text
    fetch_runs, fetch_tasks                 who is doing which (source, query) task, with a lease
    host_pace(host, next_at)                the next moment a paced host may be asked, for every worker

Text that PostgreSQL cannot hold (NUL) is escaped in the lookup columns (`escape`), reversibly;
ids and keys sort bytewise (COLLATE "C"), as code points, as in the other backends. The words of
a mention are a tsvector of its folded words, searched by prefix through a GIN index.
"""

from __future__ import annotations

from typing import Any

from mentionscan.models import Mention
from mentionscan.store.interface import search_text, sort_time, words_of
from mentionscan.store.sqlite_schema import INDEXES_2, micros

SCHEMA = 1
KIND = "mentionscan"
LEXEME_CHARS = 250  # a lexeme may be 2 KiB at most: longer words are kept as their start
WORDS_BYTES = 512 * 1024  # a tsvector may be 1 MiB at most: a mention's words past this are cut

CREATE = (
    'CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL)',
    "CREATE SEQUENCE mention_seq",
    """CREATE TABLE mentions (
        seq bigint PRIMARY KEY DEFAULT nextval('mention_seq'),
        id text COLLATE "C" NOT NULL UNIQUE,
        doc text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        status text NOT NULL,
        source text NOT NULL,
        found_at bigint NOT NULL,
        sort_at bigint NOT NULL,
        due bigint,
        author_key text NOT NULL,
        last_contacted bigint,
        digested_at bigint,
        words tsvector NOT NULL,
        words_whole boolean NOT NULL)""",
    'CREATE TABLE mention_keys (key text COLLATE "C" NOT NULL, seq bigint NOT NULL, PRIMARY KEY (key, seq))',
    'CREATE TABLE dedup_keys (key text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL)',
    "CREATE TABLE mention_queries (seq bigint NOT NULL, query text NOT NULL, PRIMARY KEY (seq, query))",
    'CREATE TABLE state (name text COLLATE "C" PRIMARY KEY, value text NOT NULL, '
    "seq bigint GENERATED ALWAYS AS IDENTITY)",
    """CREATE TABLE fetch_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        worker text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        expires timestamptz NOT NULL,
        finished_at timestamptz)""",
    'CREATE TABLE fetch_tasks (key text COLLATE "C" PRIMARY KEY, run bigint, '
    "done boolean NOT NULL DEFAULT false)",
    'CREATE TABLE host_pace (host text COLLATE "C" PRIMARY KEY, next_at timestamptz NOT NULL)',
    *INDEXES_2,  # the same indexes as SQLite's
    "CREATE INDEX mentions_words ON mentions USING gin (words)",
    f"INSERT INTO meta (key, value) VALUES ('schema', '{SCHEMA}'), ('kind', '{KIND}')",  # noqa: S608
)
TABLES = ("meta", "mentions", "mention_keys", "dedup_keys", "mention_queries", "state", "fetch_runs")

# The steps from each version to the next: `UPGRADES[n]` brings schema n to n + 1, in one
# transaction. Schema 1 is the first; a later version adds its statements here.
UPGRADES: dict[int, tuple[str, ...]] = {}

COLUMNS = (
    "status",
    "source",
    "found_at",
    "sort_at",
    "due",
    "author_key",
    "last_contacted",
    "digested_at",
    "words",
    "words_whole",
)
# Many new mentions in one statement, a column of values each (psycopg sends each list as one
# array): the words of each are one text of space-separated lexemes (letters and digits only).
_ARRAYS = (
    "bigint", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text", "bigint",
    "bigint", "text", "boolean",
)  # fmt: skip
_NAMES = f"seq, id, doc, {', '.join(COLUMNS)}"
_LEXEMES = "array_to_tsvector(string_to_array(words, ' '))"
INSERT = (
    f"INSERT INTO mentions ({_NAMES}) "  # noqa: S608
    f"SELECT {_NAMES.replace('words,', _LEXEMES + ',')} "
    f"FROM unnest({', '.join(f'%b::{t}[]' for t in _ARRAYS)}) AS t({_NAMES}) "
    "ORDER BY id ON CONFLICT (id) DO NOTHING RETURNING seq"
)
UPDATE = (
    "UPDATE mentions SET doc = %s, version = version + 1, "  # noqa: S608
    + ", ".join(f"{c} = {'array_to_tsvector(%b::text[])' if c == 'words' else '%s'}" for c in COLUMNS)
    + " WHERE seq = %s"
)


def escape(text: str) -> str:
    """`text` in a form PostgreSQL's text holds (no NUL), one to one and keeping prefixes."""
    if "\x00" not in text and "\x01" not in text:
        return text
    return text.replace("\x01", "\x01\x01").replace("\x00", "\x01\x02")


def unescape(text: str) -> str:
    if "\x01" not in text:
        return text
    return text.replace("\x01\x02", "\x00").replace("\x01\x01", "\x01")


def lexeme(word: str) -> str:
    """What the words column keeps of a word (its start, when it is very long)."""
    return word[:LEXEME_CHARS]


def word_list(mention: Mention) -> tuple[list[str], bool]:
    """The lexemes of `mention` (each folded word of its `search_text`, once), and whether all fit."""
    words = list(dict.fromkeys(words_of(search_text(mention))))  # once each, before the work on each
    if any(len(w) > LEXEME_CHARS for w in words):
        words = list(dict.fromkeys(map(lexeme, words)))
    if 8 * len(words) + sum(map(len, words)) * 4 <= WORDS_BYTES:  # all fit, whatever their UTF-8
        return words, True
    kept: list[str] = []
    size = 0
    for word in words:
        size += len(word.encode("utf-8")) + 8
        if size > WORDS_BYTES:
            return kept, False
        kept.append(word)
    return kept, True


def columns(mention: Mention) -> tuple[Any, ...]:
    """The values of `COLUMNS` for `mention`."""
    words, whole = word_list(mention)
    return (
        mention.status,
        escape(mention.source),
        micros(mention.found_at),
        micros(sort_time(mention)),
        micros(mention.due),
        escape(mention.author_key),
        micros(mention.last_contacted),
        micros(mention.digested_at),
        words,
        whole,
    )
