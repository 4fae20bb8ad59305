"""The default backend: one JSON file (`jsonfile.py`), read once, answered in memory, replaced atomically.

Opening parses only each mention's id and keys (all a fetch needs: lookups by id and key), and
only once the first lookup asks (a run whose feeds all answer 304 looks nothing up); a query
parses every mention once, then answers from memory. TinyDB's table API is not used: each
of its calls re-reads and rebuilds the whole table, about 0.1 s per call at 100,000 mentions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from mentionscan.models import Mention
from mentionscan.store.base import BaseStore, Change, Holder, Stored
from mentionscan.store.docs import ordered, to_mention
from mentionscan.store.files import remove_stale_temp_files, unreadable
from mentionscan.store.interface import MentionFilter
from mentionscan.store.jsonfile import (
    MENTIONS,
    META,
    STATE,
    AtomicJSONStorage,
    Block,
    Tables,
    encode,
    first_bad_mention,
    gc_paused,
    index_mentions,
    line_payload,
    mention_line,
    parse_heads,
    parse_tables,
    split_own_file,
)
from mentionscan.store.scan import Pair, Tally, scan, scan_documents, tally

SCHEMA = 1


class JSONStore(BaseStore):
    """Mentions and state from one TinyDB-layout JSON file, held in memory between open and save."""

    def __init__(self, path: Path, *, location: str | None = None, write: bool = True) -> None:
        super().__init__(path, location=location if location is not None else str(path), write=write)
        self._storage = AtomicJSONStorage(path)
        if write:
            remove_stale_temp_files(path)
        raw = self._storage.read_bytes()
        # Every mention as its line in the file, `"<doc id>":{…}`, by doc id, doc ids ascending:
        # a doc id is the mention's position in stored order.
        self._lines: dict[str, bytes] = {}
        # The other tables (_meta, state, any a newer version added), parsed.
        self._tables: Tables = {META: {"1": {"schema": SCHEMA}}, STATE: {}}
        self._doc_ids: dict[str, str] = {}  # mention id -> doc id
        self._keys: dict[str, str] = {}  # dedup key -> mention id of its first holder
        self._keys_stale = False  # a save took a key from its first holder: rebuild `_keys` first
        self._next_id = 1  # the next free doc id
        # The mentions part of the file as it is on disk, while it is the start of `_lines`
        # unchanged: then a save that only adds mentions writes it as it is and extends its
        # CRC, rather than joining and checking all the lines again.
        self._block: Block | None = None
        self._parsed: dict[str, Mention] | None = None  # by doc id, once a query needed them all
        # What gives the mention lines of a file we wrote, not yet indexed (`_indexed` does it).
        self._unindexed: Callable[[], list[bytes]] | None = None
        # The file as read, while its mentions are what is stored (a file we wrote, until a save
        # changes a mention): a query parses it whole, as it is, rather than its lines joined.
        self._raw: bytes | None = None
        if raw is not None:
            with gc_paused():
                if not self._load_own_file(raw):
                    self._load_any_file(raw)
        table = self._tables.setdefault(STATE, {})
        self._state_ids, self._next_state_id = self._index_states(table)
        self._states = {name: table[doc_id]["value"] for name, doc_id in self._state_ids.items()}

    # The primitives

    def _stored(self, mention_id: str) -> Stored | None:
        self._indexed()
        doc_id = self._doc_ids.get(mention_id)
        return None if doc_id is None else Stored(int(doc_id), line_payload(self._lines[doc_id]))

    def _stored_ids(self, prefix: str) -> list[str]:
        self._indexed()
        return [i for i in self._doc_ids if i.startswith(prefix)]

    def _stored_holders(self, keys: list[str], dropped: Mapping[str, Collection[str]]) -> dict[str, Holder]:
        self._indexed()
        if self._keys_stale:
            self._keys = index_mentions(self._docs(), strict=False)[1]
            self._keys_stale = False
        found = {}
        for key in keys:
            holder = self._keys.get(key)
            if holder is not None and holder in dropped.get(key, ()):
                # Its first holder gave it up in an unsaved put (rare): look for the next one.
                skip = dropped[key]
                docs = self._docs().values()
                holder = next((d["id"] for d in docs if key in d["keys"] and d["id"] not in skip), None)
            if holder is not None:
                found[key] = Holder(int(self._doc_ids[holder]), holder)
        return found

    def _stored_mentions(self, selection: MentionFilter, exclude: frozenset[str]) -> Iterable[Pair]:
        if self._parsed is None and selection.limit:
            # A page of many (the inbox's first screen, `list --limit`): of each document only
            # what the filter and the order read, and only the mentions kept built whole.
            with gc_paused():
                docs = ((int(d), doc) for d, doc in self._docs().items())
                return scan_documents(docs, self.path, selection, exclude)
        return scan(((int(d), m) for d, m in self._all().items()), selection, exclude)

    def _stored_count(self, selection: MentionFilter | None, exclude: frozenset[str]) -> int:
        self._indexed()
        if selection is None:
            return len(self._doc_ids) - len(exclude)
        return sum(1 for m in self._all().values() if m.id not in exclude and selection.accepts(m))

    def _stored_authors(self, keys: set[str], exclude: frozenset[str]) -> dict[str, Tally]:
        return tally((m for m in self._all().values() if m.id not in exclude), keys)

    def _end(self) -> int:
        self._indexed()
        return self._next_id

    def _commit(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        if changes:  # a save of state alone writes the block as read, indexed or not
            self._indexed()
        # Built aside and swapped in only once the file is written: a failed save changes nothing.
        lines, block, appended = dict(self._lines), self._block, []
        for mention_id, change in changes:
            doc_id = self._doc_ids[mention_id] if change.replaces else str(change.position)
            lines[doc_id] = orjson.dumps(doc_id) + b":" + change.payload
            if change.replaces:
                block = None
            else:
                appended.append(lines[doc_id])
        state_ids, next_state_id = dict(self._state_ids), self._next_state_id
        tables = {**self._tables, STATE: dict(self._tables.get(STATE) or {})}
        for name, value in states.items():
            if name not in state_ids:
                state_ids[name], next_state_id = str(next_state_id), next_state_id + 1
            tables[STATE][state_ids[name]] = {"name": name, "value": value}
        block = Block.of(lines.values()) if block is None else block.extended(appended)
        self._storage.write_bytes(*encode(tables, block))
        self._lines, self._block, self._tables = lines, block, tables
        if changes:
            self._raw = None
        self._state_ids, self._next_state_id = state_ids, next_state_id
        for mention_id, change in changes:
            self._index(mention_id, change)
        self._next_id = max(self._next_id, max((c.position + 1 for _, c in changes), default=0))

    def _changed_since_read(self) -> bool:
        return self._storage.current_signature() != self._storage.signature

    def _reopen(self) -> JSONStore:
        return JSONStore(self.path, location=self.location, write=True)

    def _close(self) -> None:
        self._lines, self._tables, self._block, self._parsed, self._unindexed = {}, {}, None, None, None
        self._raw = None
        self._doc_ids, self._keys, self._state_ids = {}, {}, {}

    # Keeping the indexes right after a save

    def _index(self, mention_id: str, change: Change) -> None:
        if not change.replaces:
            self._doc_ids[mention_id] = str(change.position)
        doc_id = self._doc_ids[mention_id]
        for key in set(change.stored_keys or ()) - set(change.keys):
            if self._keys.get(key) == mention_id:
                self._keys_stale = True  # the next holder, if any, is found by a rebuild
        for key in change.keys:
            holder = self._keys.get(key)
            if holder is None or int(self._doc_ids[holder]) > change.position:
                self._keys[key] = mention_id
        if self._parsed is not None:
            self._parsed[doc_id] = self._mention_of(change)

    # Reading everything, for queries

    def _docs(self) -> dict[str, dict[str, Any]]:
        """Every stored document, by doc id (parsed each time: only rare paths need them)."""
        with gc_paused():
            if self._raw is not None and (docs := self._unindexed_docs()) is not None:
                return docs
            self._indexed()
            docs = orjson.loads(b"{" + b",".join(self._lines.values()) + b"}")
        return docs

    def _unindexed_docs(self) -> dict[str, dict[str, Any]] | None:
        """The documents of a file we wrote, not indexed yet, parsed from it as read: a query needs
        no index (splitting the lines and reading their ids and keys, a third of its time).

        None when they are not in stored order (an older version's file): `_indexed` puts them
        in order. The rest of what indexing checks holds in any file we wrote (its CRC says so).
        """
        assert self._raw is not None
        try:
            docs: dict[str, dict[str, Any]] = orjson.loads(self._raw)[MENTIONS]
            numbers = list(map(int, docs))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return docs if all(a < b for a, b in pairwise(numbers)) else None

    def _all(self) -> dict[str, Mention]:
        if self._parsed is None:
            # Paused for the conversion too: it allocates as much again, and each collection it
            # set off would walk every parsed document (three times slower at 100,000 mentions).
            with gc_paused():
                self._parsed = {d: to_mention(self.path, doc) for d, doc in self._docs().items()}
        return self._parsed

    # Loading

    def _load_own_file(self, raw: bytes) -> bool:
        """Take a file exactly as we wrote it (its CRC says so); False if it isn't one.

        Its mentions' ids and keys are parsed when first needed (`_indexed`).
        """
        split = split_own_file(raw)
        if split is None:
            return False
        tables, lines, block = split
        self.schema = self._schema_of(tables)
        self._tables, self._block, self._unindexed, self._raw = tables, block, lines, raw
        return True

    def _indexed(self) -> None:
        """Index the mention lines `_load_own_file` took, if it has not been done."""
        lines, self._unindexed = self._unindexed, None
        if lines is None:
            return
        with gc_paused():
            if self._index_lines(lines()):
                return
            # Not as we write a file after all (an older version's lines): read it the slow way,
            # whole, as the file it is.
            assert self._block is not None
            raw = b"".join(encode(self._tables, self._block))
            self._block = None
            self._load_any_file(raw)

    def _index_lines(self, lines: list[bytes]) -> bool:
        parsed = parse_heads(lines)
        if parsed is None:
            return False
        try:
            numbers = list(map(int, parsed))
            if any(a >= b for a, b in pairwise(numbers)):
                return False  # not in stored order: the slow path puts it in order
            self._doc_ids, self._keys = index_mentions(parsed, strict=True)
        except (KeyError, TypeError, AttributeError, ValueError):
            return False
        self._next_id = (numbers[-1] if numbers else 0) + 1
        self._lines = dict(zip(parsed, lines, strict=True))
        return True

    def _load_any_file(self, raw: bytes) -> None:
        """Load any TinyDB file, checking every document; stored order is doc id order, as in TinyDB."""
        tables = parse_tables(raw, self.path)
        self.schema = self._schema_of(tables)
        mentions = tables.pop(MENTIONS, {})
        try:
            mentions = dict(sorted(mentions.items(), key=lambda item: int(item[0])))
            self._doc_ids, self._keys = index_mentions(mentions, strict=False)
            self._next_id = max(map(int, mentions), default=0) + 1
        except (KeyError, TypeError, AttributeError, ValueError):
            raise unreadable(self.path, first_bad_mention(mentions)) from None
        self._tables = tables
        self._lines = {i: mention_line(i, ordered(doc)) for i, doc in mentions.items()}

    def _schema_of(self, tables: Tables) -> int:
        doc = next(iter((tables.get(META) or {}).values()), None)
        declared = doc.get("schema") if isinstance(doc, dict) else None
        return self._check_schema(declared, SCHEMA, META)

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
