"""The default backend: one JSON file in TinyDB's own layout, read once and replaced atomically.

The file is what `tinydb.TinyDB(path)` opens (UTF-8 JSON); this backend writes it as::

    {"_meta":{"1":{"schema":1,"mentions_crc32":…}},"state":{"1":{"name":"source:hn","value":{…}}},"mentions":{
    "1":{"id":"…","keys":[…],<the rest of Mention.to_dict()>},
    "2":{…}
    }}

Why this shape: parsing 100,000 mentions (≈55 MB) takes about 1 s here, more than a whole run
may spend in the store. So each mention sits on its own line with `id` and `keys` first, and the
CRC of the mentions block is kept in `_meta`. When the CRC matches, the file is exactly what this
backend wrote, so a load parses only the ids and keys and keeps every mention as its JSON line;
`get` parses one line, and `save` joins the lines. Any other file (written or edited by TinyDB or
by hand) is parsed and checked in full, and rewritten in this shape on the next save.

TinyDB's table API is not used: each table call re-reads and rebuilds the whole table (and an
`insert` rewrites the file), about 0.1 s per call at 100,000 mentions. Writes go through
`AtomicJSONStorage`: temp file in the same folder, fsync, rename, fsync the folder, so a crash at
any moment leaves the old file or the new one.
"""

from __future__ import annotations

import copy
import gc
import os
import re
import stat
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from mentionscan.errors import NotFound, StoreError
from mentionscan.models import Mention
from mentionscan.store import NaiveQueries, Store, ensure_folder
from mentionscan.store.interface import MentionFilter

SCHEMA = 1
META, MENTIONS, STATE = "_meta", "mentions", "state"
CRC = "mentions_crc32"
TEMP_SUFFIX = ".tmp"
AMBIGUOUS_SHOWN = 5
SURROGATE = re.compile("[\ud800-\udfff]")

# orjson never writes a raw newline, so these can only be the seams this backend puts in.
MENTIONS_OPEN = b'"mentions":{\n'
LINE_SEP = b",\n"
MENTIONS_CLOSE = b"\n}}"

Tables = dict[str, dict[str, Any]]


def unreadable(path: Path, reason: str) -> StoreError:
    return StoreError(f"cannot read database {path}: {reason}; it was left untouched — fix or move it away")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that never leaves a half-written file.

    `read()` raises StoreError for a file that is not a JSON object of tables (TinyDB's own
    storage would fail later, or start afresh); `write()` replaces the file atomically.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.writes = 0

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
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read database {self.path}: {_reason(error)}") from error
        if not raw.strip():
            # Never written by us (our writes are atomic): something truncated it, and starting
            # afresh would report every old mention as new again.
            raise unreadable(self.path, "the file is empty")
        return raw

    def write_bytes(self, *payload: bytes | memoryview) -> None:
        """Replace the file with the `payload` pieces atomically; on failure the old file is untouched."""
        ensure_folder(self.path)
        folder = self.path.parent
        try:
            fd, name = tempfile.mkstemp(prefix=temp_prefix(self.path), suffix=TEMP_SUFFIX, dir=folder)
        except OSError as error:
            raise _save_error(self.path, error) from error
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:
                with suppress(FileNotFoundError):
                    # Keep the permissions the user gave the old file; a new one stays private
                    # (mkstemp's 0600): it holds people's names and addresses.
                    os.fchmod(file.fileno(), stat.S_IMODE(self.path.stat().st_mode))
                for piece in payload:
                    file.write(piece)
                file.flush()
                os.fsync(file.fileno())
            temp.replace(self.path)
        except BaseException as error:
            with suppress(OSError):
                temp.unlink()
            if isinstance(error, OSError):
                raise _save_error(self.path, error) from error
            raise
        self.writes += 1
        _fsync_folder(folder)


class TinyDBStore(NaiveQueries, Store):
    """Mentions and state from one TinyDB JSON file, held in memory between open and save."""

    def __init__(self, path: Path, *, location: str | None = None, write: bool = True) -> None:
        self.path = path
        self.location = location if location is not None else str(path)
        self._writable = write
        self._storage = AtomicJSONStorage(path)
        self._dirty = False
        self._closed = False
        if write:
            remove_stale_temp_files(path)
        raw = self._storage.read_bytes()
        # Every mention as its line in the file, `"<doc id>":{…}`, by doc id.
        self._lines: dict[str, bytes] = {}
        # The other tables (_meta, state, any a newer version added), parsed.
        self._tables: Tables = {META: {"1": {"schema": SCHEMA}}, STATE: {}}
        self._doc_ids: dict[str, str] = {}  # mention id -> doc id
        self._keys: dict[str, str] = {}  # dedup key -> mention id
        self._next_id = 1  # the next free doc id
        # The mentions part of the file as it is on disk, while it is the start of `_lines`
        # unchanged: then a save that only adds mentions writes it as it is and extends its
        # CRC, rather than joining and checking all the lines again.
        self._block: Block | None = None
        if raw is not None:
            with _gc_paused():
                if not self._load_own_file(raw):
                    self._load_any_file(raw)
        self._states = self._tables.setdefault(STATE, {})
        self._state_ids, self._next_state_id = self._index_states(self._states)
        self._first_unsaved_id = self._next_id  # doc ids from here on are not in `_block` yet

    @property
    def writes(self) -> int:
        return self._storage.writes

    # Reading

    def _every(self) -> list[Mention]:
        self._check_open()
        # Paused for the conversion too: it allocates as much again, and each collection it
        # set off would walk every parsed document (three times slower at 100,000 mentions).
        with _gc_paused():
            docs = orjson.loads(b"{" + b",".join(self._lines.values()) + b"}")
            return [self._mention(doc) for doc in docs.values()]

    def get(self, mention_id: str) -> Mention | None:
        self._check_open()
        doc_id = self._doc_ids.get(mention_id)
        return None if doc_id is None else self._mention(self._doc(doc_id))

    def resolve(self, prefix: str) -> Mention:
        self._check_open()
        if prefix in self._doc_ids:
            return self._mention(self._doc(self._doc_ids[prefix]))
        matches = sorted(i for i in self._doc_ids if i.startswith(prefix)) if prefix else []
        if not matches:
            raise NotFound(f"no mention with id {prefix!r}")
        if len(matches) > 1:
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {_candidates(prefix, matches)}")
        return self._mention(self._doc(self._doc_ids[matches[0]]))

    def find_by_keys(self, keys: Iterable[str]) -> Mention | None:
        self._check_open()
        for key in keys:
            mention_id = self._keys.get(key)
            if mention_id is not None:
                return self.get(mention_id)
        return None

    def state(self, name: str) -> dict[str, Any]:
        self._check_open()
        doc_id = self._state_ids.get(name)
        return {} if doc_id is None else copy.deepcopy(self._states[doc_id]["value"])

    def states(self) -> dict[str, dict[str, Any]]:
        self._check_open()
        return {name: copy.deepcopy(self._states[i]["value"]) for name, i in self._state_ids.items()}

    def count(self, selection: MentionFilter | None = None) -> int:
        if selection is not None:
            return NaiveQueries.count(self, selection)
        self._check_open()
        return len(self._doc_ids)

    # Changing

    def put(self, mention: Mention) -> None:
        """Insert or replace by id; lone surrogates in text become U+FFFD (they have no UTF-8 form).

        Raises TypeError when `extra` holds something JSON cannot carry.
        """
        self._check_open()
        doc, payload = _serialise(ordered(mention.to_dict()), f"mention {mention.id}")
        mention_id: str = doc["id"]
        doc_id = self._doc_ids.get(mention_id)
        old_keys: list[str] = []
        if doc_id is None:
            doc_id = str(self._next_id)
            self._next_id += 1
            self._doc_ids[mention_id] = doc_id
        else:
            old = self._lines[doc_id]
            if old[old.index(b":") + 1 :] == payload:
                return
            old_keys = list(self._doc(doc_id).get("keys") or ())
            if self._block is not None and int(doc_id) < self._first_unsaved_id:
                self._block = None
        self._lines[doc_id] = orjson.dumps(doc_id) + b":" + payload
        new_keys = doc["keys"]
        for key in old_keys:
            if key not in new_keys and self._keys.get(key) == mention_id:
                del self._keys[key]
        for key in new_keys:
            # A key two mentions share stays with the one stored first, as on the next load.
            self._keys.setdefault(key, mention_id)
        self._dirty = True

    def set_state(self, name: str, value: dict[str, Any]) -> None:
        """Raises TypeError when `value` holds something JSON cannot carry."""
        self._check_open()
        doc, payload = _serialise({"name": name, "value": dict(value)}, f"state {name!r}")
        doc = orjson.loads(payload)  # a copy that shares nothing with the caller's value
        doc_id = self._state_ids.get(doc["name"])
        if doc_id is None:
            doc_id = str(self._next_state_id)
            self._next_state_id += 1
            self._state_ids[doc["name"]] = doc_id
        elif self._states[doc_id] == doc:
            return
        self._states[doc_id] = doc
        self._dirty = True

    def save(self) -> None:
        self._check_open()
        if not self._writable:
            raise StoreError(f"database {self.path} was opened read-only; nothing was saved")
        if not self._dirty:
            return
        if self._block is None:
            block = Block.of(self._lines.values())
        else:
            block = self._block.extended(list(islice(self._lines.values(), self._block.lines, None)))
        self._storage.write_bytes(*encode(self._tables, block))
        self._block, self._first_unsaved_id = block, self._next_id
        self._dirty = False

    def close(self) -> None:
        self._closed = True
        self._lines, self._tables, self._states, self._block = {}, {}, {}, None
        self._doc_ids, self._keys, self._state_ids = {}, {}, {}

    # Loading

    def _load_own_file(self, raw: bytes) -> bool:
        """Load a file exactly as this backend wrote it, parsing only ids and keys; False if it isn't one."""
        split = split_own_file(raw)
        if split is None:
            return False
        tables, lines, block = split
        try:
            # Each line's `"<doc id>":{"id":…,"keys":[…]` part; the first `],"` after the keys
            # opens the next field, since a `"` inside a string is always escaped.
            heads = [line[: line.index(b'],"') + 1] for line in lines]
            parsed = orjson.loads(b"{" + b"},".join(heads) + b"}}") if heads else {}
        except (ValueError, orjson.JSONDecodeError):
            return False
        if len(parsed) != len(lines):
            return False
        self._check_schema(tables)
        try:
            self._doc_ids, self._keys = index_mentions(parsed, strict=True)
            self._next_id = max(map(int, parsed), default=0) + 1
        except (KeyError, TypeError, AttributeError, ValueError):
            return False
        self._tables = tables
        self._lines = dict(zip(parsed, lines, strict=True))
        self._block = block
        return True

    def _load_any_file(self, raw: bytes) -> None:
        """Load any TinyDB file, checking every document."""
        tables = parse_tables(raw, self.path)
        self._check_schema(tables)
        mentions = tables.pop(MENTIONS, {})
        try:
            self._doc_ids, self._keys = index_mentions(mentions, strict=False)
            self._next_id = max(map(int, mentions), default=0) + 1
        except (KeyError, TypeError, AttributeError, ValueError):
            raise unreadable(self.path, _first_bad_mention(mentions)) from None
        self._tables = tables
        self._lines = {i: mention_line(i, ordered(doc)) for i, doc in mentions.items()}

    def _check_schema(self, tables: Tables) -> None:
        doc = next(iter((tables.get(META) or {}).values()), None)
        if not isinstance(doc, dict) or "schema" not in doc:
            reason = f"it has no schema version (table {META}); is it a mentionscan database?"
            raise unreadable(self.path, reason)
        schema = doc["schema"]
        if type(schema) is not int or schema < 1:
            raise unreadable(self.path, f"its schema version {schema!r} is not a positive whole number")
        if schema > SCHEMA:
            raise StoreError(
                f"database {self.path} has schema version {schema}, and this mentionscan reads only "
                f"version {SCHEMA}: it is too old for this database — upgrade mentionscan"
            )

    def _index_states(self, table: dict[str, Any]) -> tuple[dict[str, str], int]:
        ids: dict[str, str] = {}
        for doc_id, doc in table.items():
            if (
                not isinstance(doc, dict)
                or type(doc.get("name")) is not str
                or not isinstance(doc.get("value"), dict)
                or doc["name"] in ids
                or not doc_id.isdigit()
            ):
                raise unreadable(self.path, f"state document {doc_id!r} is malformed")
            ids[doc["name"]] = doc_id
        return ids, max(map(int, table), default=0) + 1

    def _doc(self, doc_id: str) -> dict[str, Any]:
        line = self._lines[doc_id]
        doc: dict[str, Any] = orjson.loads(line[line.index(b":") + 1 :])
        return doc

    def _mention(self, doc: dict[str, Any]) -> Mention:
        try:
            return Mention.from_dict(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise unreadable(self.path, f"mention {doc.get('id')!r} is malformed ({error})") from error

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"database {self.path} is closed")


# The file format


@dataclass(frozen=True)
class Block:
    """The mentions part of a file: its bytes (in pieces, to spare copying them), CRC and line count."""

    pieces: tuple[bytes | memoryview, ...]
    crc: int
    lines: int

    @classmethod
    def of(cls, lines: Iterable[bytes]) -> Block:
        lines = list(lines)
        body = LINE_SEP.join(lines)
        return cls((body,), zlib.crc32(body), len(lines))

    def extended(self, lines: list[bytes]) -> Block:
        """This block with `lines` after it, without reading its bytes again."""
        if not lines:
            return self
        tail = (LINE_SEP if self.lines else b"") + LINE_SEP.join(lines)
        return Block((*self.pieces, tail), zlib.crc32(tail, self.crc), self.lines + len(lines))


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


def split_own_file(raw: bytes) -> tuple[Tables, list[bytes], Block] | None:
    """The tables before the mentions, the mention lines and their block, if this backend wrote `raw`."""
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
        return tables, [], Block((), crc, 0)
    # Splitting the whole file rather than a slice of it saves a copy of the mentions; the
    # tables line holds no newline, so only the first and last pieces need trimming.
    lines = raw.split(LINE_SEP)
    lines[0] = lines[0][body_start:]
    lines[-1] = lines[-1][: -len(MENTIONS_CLOSE)]
    return tables, lines, Block((body,), crc, len(lines))


def parse_tables(raw: bytes, path: Path) -> Tables:
    """Parse a whole TinyDB file: a JSON object whose values are objects (tables)."""
    try:
        with _gc_paused():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise unreadable(path, f"it is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise unreadable(path, f"expected a JSON object of tables, found {_kind(data)}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise unreadable(path, f"table {name!r} is {_kind(table)}, not a JSON object")
    return data


def index_mentions(table: dict[str, Any], *, strict: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Mention id -> doc id, and dedup key -> mention id; raises on any malformed document.

    `strict` requires every document to carry `keys` (this backend always writes them).
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


def ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with `id` and `keys` first, as a fast load expects them."""
    return {"id": doc.get("id"), "keys": doc.get("keys", []), **doc}


def mention_line(doc_id: str, doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc_id) + b":" + orjson.dumps(doc)


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temp_files(path: Path) -> None:
    """Remove temp files a killed run left beside the database (call only while holding the lock)."""
    prefix = temp_prefix(path)
    with suppress(OSError):
        for entry in path.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
                with suppress(OSError):
                    entry.unlink()


@contextmanager
def _gc_paused() -> Iterator[None]:
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


def _serialise(value: dict[str, Any], what: str) -> tuple[dict[str, Any], bytes]:
    try:
        return value, orjson.dumps(value)
    except TypeError as error:
        if "surrogates" not in str(error):
            raise TypeError(f"{what} cannot be stored: {error}") from error
    value = _replace_surrogates(value)
    return value, orjson.dumps(value)


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_surrogates(v) for v in value]
    return value


def _first_bad_mention(table: dict[str, Any]) -> str:
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


def _candidates(prefix: str, matches: list[str]) -> str:
    """Each match cut to the shortest prefix that names only it, so it can be typed back."""
    shown = []
    for index, mention_id in enumerate(matches[:AMBIGUOUS_SHOWN]):
        # In sorted order the longest shared prefix is with a neighbour.
        neighbours = matches[max(index - 1, 0) : index] + matches[index + 1 : index + 2]
        length = len(prefix) + 1
        while length < len(mention_id) and any(n.startswith(mention_id[:length]) for n in neighbours):
            length += 1
        shown.append(mention_id if length >= len(mention_id) else mention_id[:length] + "…")
    more = len(matches) - AMBIGUOUS_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _save_error(path: Path, error: OSError) -> StoreError:
    return StoreError(f"cannot save database {path}: {_reason(error)}")


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable. The new file is already in place when this runs, so a
    # filesystem that cannot fsync a folder is no reason to report the save as failed.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


def _kind(value: Any) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
