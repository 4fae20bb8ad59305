"""The JSON backend's file: TinyDB's layout (what `tinydb.TinyDB(path)` opens), written our way.

    {"_meta":{"1":{"schema":1,"mentions_crc32":…}},"state":{"1":{"name":"source:hn","value":{…}}},"mentions":{
    "1":{"id":"…","keys":[…],<the rest of Mention.to_dict()>},
    "2":{…}
    }}

Why this shape: parsing 100,000 mentions (≈55 MB) takes about 1 s, more than a whole run may
spend in the store. So each mention sits on its own line with `id` and `keys` first, and the CRC
of the mentions block is kept in `_meta`. When the CRC matches, the file is exactly what we
wrote, so a load parses only ids and keys and keeps each mention as its line. Any other file
(written or edited by TinyDB or by hand) is parsed and checked in full.

Writes are atomic: temp file in the same folder, fsync, rename, fsync the folder, so a crash
at any moment leaves the old file or the new one.
"""

from __future__ import annotations

import gc
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from mentionscan.atomic import write_atomically
from mentionscan.errors import StoreError, reason
from mentionscan.store.docs import ordered
from mentionscan.store.files import ensure_folder, save_error, unreadable

META, MENTIONS, STATE = "_meta", "mentions", "state"
CRC = "mentions_crc32"

# orjson never writes a raw newline, so these can only be the seams we put in.
MENTIONS_OPEN = b'"mentions":{\n'
LINE_SEP = b",\n"
MENTIONS_CLOSE = b"\n}}"

Tables = dict[str, dict[str, Any]]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that never leaves a half-written file.

    `read()` raises StoreError for a file that is not a JSON object of tables (TinyDB's own
    storage would fail later, or start afresh); `write()` replaces the file atomically.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.writes = 0
        self.signature: Signature | None = None  # the file as last read or written (None: none)

    def read(self) -> Tables | None:
        raw = self.read_bytes()
        return None if raw is None else parse_tables(raw, self.path)

    def write(self, data: Tables) -> None:
        tables = dict(data)
        mentions = tables.pop(MENTIONS, {})
        block = Block.of(mention_line(i, ordered(doc)) for i, doc in mentions.items())
        self.write_bytes(*encode(tables, block))

    def read_bytes(self) -> bytes | None:
        """The file's bytes; None when there is no file."""
        try:
            with self.path.open("rb") as file:
                # Of the very file read: another command's save replaces it with a new one.
                self.signature = signature(os.fstat(file.fileno()))
                raw = file.read()
        except FileNotFoundError:
            self.signature = None
            return None
        except OSError as error:
            raise StoreError(f"cannot read database {self.path}: {reason(error)}") from error
        if not raw.strip():
            # Never written by us (our writes are atomic): something truncated it, and starting
            # afresh would report every old mention as new again.
            raise unreadable(self.path, "the file is empty")
        return raw

    def write_bytes(self, *payload: bytes | memoryview) -> None:
        """Replace the file with the `payload` pieces atomically; on failure the old file is untouched.

        The old file's permissions are kept; a new one is private: it holds people's names and addresses.
        """
        ensure_folder(self.path)
        write_atomically(self.path, payload, private=True, failed=lambda error: save_error(self.path, error))
        self.writes += 1
        self.signature = self.current_signature()

    def current_signature(self) -> Signature | None:
        """The file as it is now: another save since the last read or write gives another one."""
        try:
            return signature(self.path.stat())
        except OSError:
            return None


Signature = tuple[int, int, int, int]


def signature(status: os.stat_result) -> Signature:
    """A file's device, inode, size and modification time: an atomic save changes the inode."""
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


@dataclass(frozen=True)
class Block:
    """The mentions part of a file: its bytes (in pieces, to spare copying them), CRC, and whether
    it holds any line (counting them would read every byte again)."""

    pieces: tuple[bytes | memoryview, ...]
    crc: int
    has_lines: bool

    @classmethod
    def of(cls, lines: Iterable[bytes]) -> Block:
        lines = list(lines)
        body = LINE_SEP.join(lines)
        return cls((body,), zlib.crc32(body), bool(lines))

    def extended(self, lines: list[bytes]) -> Block:
        """This block with `lines` after it, without reading its bytes again."""
        if not lines:
            return self
        tail = (LINE_SEP if self.has_lines else b"") + LINE_SEP.join(lines)
        return Block((*self.pieces, tail), zlib.crc32(tail, self.crc), True)


def encode(tables: Tables, block: Block) -> list[bytes | memoryview]:
    """The whole file, in pieces: `tables` on one line, then one line per mention.

    The CRC of the mentions goes into the first document of `_meta`, when there is one.
    """
    tables = dict(tables)
    meta = dict(tables.get(META) or {})
    first = next(iter(meta), None)
    if first is not None and isinstance(meta[first], dict):
        meta[first] = {**meta[first], CRC: block.crc}
        tables[META] = meta
    head = orjson.dumps(tables)
    return [head[:-1] + (b"," if tables else b"") + MENTIONS_OPEN, *block.pieces, MENTIONS_CLOSE]


def split_own_file(raw: bytes) -> tuple[Tables, Callable[[], list[bytes]], Block] | None:
    """The tables before the mentions, what gives the mention lines, and their block, if we wrote
    `raw`. The lines are split when asked for: a run that looks nothing up never needs them."""
    start = raw.find(MENTIONS_OPEN)
    if start < 1 or raw[start - 1 : start] != b"," or not raw.endswith(MENTIONS_CLOSE):
        return None
    body_start, body_end = start + len(MENTIONS_OPEN), len(raw) - len(MENTIONS_CLOSE)
    try:
        tables = orjson.loads(raw[: start - 1] + b"}")
        meta = tables[META]
        crc = next(iter(meta.values()))[CRC]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, StopIteration):
        return None
    body = memoryview(raw)[body_start:body_end]
    if not isinstance(tables, dict) or MENTIONS in tables or crc != zlib.crc32(body):
        return None
    if not all(isinstance(table, dict) for table in tables.values()):
        return None
    if body_end == body_start:
        return tables, list, Block((), crc, False)

    def lines() -> list[bytes]:
        # Splitting the whole file rather than a slice of it saves a copy of the mentions; the
        # tables line holds no newline, so only the first and last pieces need trimming.
        pieces = raw.split(LINE_SEP)
        pieces[0] = pieces[0][body_start:]
        pieces[-1] = pieces[-1][: -len(MENTIONS_CLOSE)]
        return pieces

    return tables, lines, Block((body,), crc, True)


def parse_heads(lines: list[bytes]) -> dict[str, Any] | None:
    """`{doc id: {"id":…, "keys":[…]}}` of our own mention lines, parsing nothing else; None if one isn't."""
    try:
        # Each line's `"<doc id>":{"id":…,"keys":[…]` part; the first `],"` after the keys
        # opens the next field, since a `"` inside a string is always escaped.
        heads = [line[: line.index(b'],"') + 1] for line in lines]
        parsed: dict[str, Any] = orjson.loads(b"{" + b"},".join(heads) + b"}}") if heads else {}
    except (ValueError, orjson.JSONDecodeError):
        return None
    return parsed if len(parsed) == len(lines) else None


def parse_tables(raw: bytes, path: Path) -> Tables:
    """Parse a whole TinyDB file: a JSON object whose values are objects (tables)."""
    try:
        with gc_paused():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if raw.startswith(b"SQLite format 3\0"):
            # A plain path names a JSON database; an SQLite file is named by its scheme.
            raise StoreError(
                f"database {path} is an SQLite database: name it sqlite:///{path} (as --db, "
                "$MENTIONSCAN_DB or `database` in the config)"
            ) from None
        raise unreadable(path, f"it is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise unreadable(path, f"expected a JSON object of tables, found {_kind(data)}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise unreadable(path, f"table {name!r} is {_kind(table)}, not a JSON object")
    return data


def index_mentions(table: dict[str, Any], *, strict: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Mention id -> doc id, and dedup key -> mention id; raises on any malformed document.

    `table` is in stored order. `strict` requires every document to carry `keys` (we always
    write them).
    """
    # Comprehensions, not a checked loop: at 100,000 mentions this is much of the load time.
    # The checks after them catch what the comprehensions let by.
    doc_ids = {doc["id"]: doc_id for doc_id, doc in table.items()}
    # Reversed, so that a key two mentions share maps to the one stored first.
    docs = reversed(table.values())
    if strict:
        keys = {key: doc["id"] for doc in docs for key in doc["keys"]}
    else:
        if not all(type(doc.get("keys", [])) is list for doc in table.values()):
            raise TypeError("keys must be a list")  # a string would pass as a list of letters
        keys = {key: doc["id"] for doc in docs for key in doc.get("keys", ())}
    if len(doc_ids) != len(table):
        raise ValueError("a mention id is stored twice")
    if not set(map(type, doc_ids)) | set(map(type, keys)) <= {str}:
        raise TypeError("ids and keys must be strings")
    return doc_ids, keys


def mention_line(doc_id: str, doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc_id) + b":" + orjson.dumps(doc)


def line_payload(line: bytes) -> bytes:
    """The document of a mention line, without its `"<doc id>":`."""
    return line[line.index(b":") + 1 :]


def first_bad_mention(table: dict[str, Any]) -> str:
    """What is wrong with a mentions table that `index_mentions` refused, in a user's words."""
    seen: set[str] = set()
    for doc_id, doc in table.items():
        if not doc_id.strip().isdigit():
            return f"mention document id {doc_id!r} is not a number"
        if not isinstance(doc, dict) or type(doc.get("id")) is not str:
            return f"mention document {doc_id} has no string 'id'"
        keys = doc.get("keys", [])
        if not isinstance(keys, list) or not all(type(k) is str for k in keys):
            return f"mention {doc['id']!r} has 'keys' that are not a list of strings"
        if doc["id"] in seen:
            return f"mention id {doc['id']!r} is stored twice"
        seen.add(doc["id"])
    return "the mentions table is malformed"


@contextmanager
def gc_paused() -> Iterator[None]:
    # Parsing creates up to millions of containers, none of them in a cycle; letting the
    # collector walk them again and again as they appear more than doubles the parse time.
    # Loading keeps it paused until the temporary ones are freed, or the first collection
    # after it resumes walks them all once more (0.1 s at 100,000 mentions).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _kind(value: Any) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
