"""What every backend shares, written once over a few primitives (urlwatch's storage, as a pattern).

A backend answers for what is *stored* (as of the last open or save) through the `_stored…`
primitives and writes a batch of changes with `_commit`. This class holds the unsaved changes
and so makes every rule that involves them the same in every backend:

- reads see unsaved puts: `get`, `resolve`, `find_by_keys`, `mentions`, `count`, `authors`;
- a dedup key two mentions share belongs to the one stored first (the lowest position), also
  when one of them is unsaved, and a replaced mention holds only its new keys;
- an id prefix resolves to one mention, or says which ones it could mean;
- a put or a state that changes nothing is no change, and `save` writes all or nothing.
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from mentionscan.errors import NotFound, StoreError
from mentionscan.models import Mention
from mentionscan.store.docs import encodable, ordered, parse_doc, serialise, to_mention
from mentionscan.store.files import unreadable
from mentionscan.store.interface import AuthorStats, MentionFilter, Order, Rebase, Store
from mentionscan.store.scan import Pair, Tally, add, candidates, merged, tally

SaveOnto = Callable[["BaseStore", "BaseStore"], None]


class Stored(NamedTuple):
    """A stored mention as a backend holds it: where it sits in stored order, and its document."""

    position: int
    payload: bytes


class Holder(NamedTuple):
    """The first stored holder of a dedup key: its position, its id, and its document if at hand."""

    position: int
    mention_id: str
    payload: bytes | None = None


class Change:
    """An unsaved put: the document, where it sits in stored order, and what it replaces."""

    __slots__ = ("given", "keys", "mention", "payload", "position", "read", "rebase", "stored_keys")

    def __init__(
        self,
        payload: bytes,
        keys: tuple[str, ...],
        position: int,
        stored_keys: tuple[str, ...] | None,
        given: Mention | None = None,
        rebase: Rebase | None = None,
        read: bytes | None = None,
    ) -> None:
        self.payload = payload
        self.read = read  # the stored document this replaces, as it was read (None: a new mention)
        self.rebase = rebase  # what to apply to the current row when the stored one changed meanwhile
        self.keys = keys
        self.position = position
        self.stored_keys = stored_keys  # None: a new mention; else the keys its stored version holds
        self.mention: Mention | None = None  # as it reads back, parsed from `payload` when first read
        # The mention as put, when every field a backend derives anything from reads back as it
        # is: deriving from it spares parsing the document again at save.
        self.given = given

    @property
    def replaces(self) -> bool:
        return self.stored_keys is not None


class BaseStore(Store):
    """The unit of work over a backend's primitives; a backend sets `_states` when it opens."""

    def __init__(self, path: Path, *, location: str, write: bool) -> None:
        self.path = path
        self.location = location
        self.schema: int | None = None  # the database's schema version; None until it exists
        self._writable = write
        self._writes = 0
        self._save_lock: Callable[[], AbstractContextManager[object]] | None = None
        self._save_onto: SaveOnto | None = None
        self._closed = False
        self._states: dict[str, dict[str, Any]] = {}
        self._forget_changes()

    def _forget_changes(self) -> None:
        self._changes: dict[str, Change] = {}  # by mention id, in first-put order
        self._replaced: set[str] = set()  # ids of the changes that replace a stored mention
        self._holders: dict[str, set[str]] = {}  # dedup key -> changed mentions holding it now
        self._held: dict[str, set[str]] = {}  # dedup key -> replaced mentions whose stored version held it
        self._absent: set[str] = set()  # ids looked up and not stored: a put of one needs no lookup
        self._dirty_states: set[str] = set()
        self._next_position: int | None = None

    # The primitives: what is stored, as of the last open or save

    @abstractmethod
    def _stored(self, mention_id: str) -> Stored | None:
        """The stored mention with this id."""

    @abstractmethod
    def _stored_ids(self, prefix: str) -> list[str]:
        """Every stored id that starts with `prefix` (never empty)."""

    @abstractmethod
    def _stored_holders(self, keys: list[str], dropped: Mapping[str, Collection[str]]) -> dict[str, Holder]:
        """For each key, its first stored holder, passing over the ids in `dropped[key]`."""

    @abstractmethod
    def _stored_mentions(self, selection: MentionFilter, exclude: frozenset[str]) -> Iterable[Pair]:
        """What `selection` picks of the stored mentions whose id is not in `exclude`, in order, limited."""

    @abstractmethod
    def _stored_count(self, selection: MentionFilter | None, exclude: frozenset[str]) -> int:
        """How many stored mentions `selection` picks (all without it), leaving out `exclude`."""

    @abstractmethod
    def _stored_authors(self, keys: set[str], exclude: frozenset[str]) -> dict[str, Tally]:
        """For the author keys of stored mentions (leaving out `exclude`): how many, last contact."""

    @abstractmethod
    def _end(self) -> int:
        """The position after the last stored mention: where the first new one goes."""

    @abstractmethod
    def _commit(self, changes: list[tuple[str, Change]], states: dict[str, dict[str, Any]]) -> None:
        """Write these changes (in position order) and states at once, or raise and write nothing."""

    def _close(self) -> None:
        """Let go of what the backend holds."""

    def _changed_since_read(self) -> bool:
        """Whether another command wrote the database since this store read it (or last saved)."""
        return False

    def _reopen(self) -> BaseStore:
        """The same database opened again for writing, as it is stored now."""
        raise NotImplementedError

    def _more_to_save(self) -> bool:
        """Whether the backend has changes of its own for the next save (tasks done)."""
        return False

    # Reading

    @property
    def writes(self) -> int:
        return self._writes

    def get(self, mention_id: str) -> Mention | None:
        self._check_open()
        change = self._changes.get(mention_id)
        if change is not None:
            return self._mention_of(change)
        if not encodable(mention_id):
            return None
        stored = self._stored(mention_id)
        if stored is None:
            self._absent.add(mention_id)
            return None
        return to_mention(self.path, parse_doc(self.path, mention_id, stored.payload))

    def resolve(self, prefix: str) -> Mention:
        self._check_open()
        exact = self.get(prefix) if prefix else None
        if exact is not None:
            return exact
        matches: list[str] = []
        if prefix and encodable(prefix):
            changed = {i for i in self._changes if i.startswith(prefix)}
            matches = sorted(changed.union(self._stored_ids(prefix)))
        if not matches:
            raise NotFound(f"no mention with id {prefix!r}")
        if len(matches) > 1:
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {candidates(prefix, matches)}")
        found = self.get(matches[0])
        assert found is not None
        return found

    def find_by_keys(self, keys: Iterable[str]) -> Mention | None:
        self._check_open()
        wanted = [key for key in dict.fromkeys(keys) if encodable(key)]
        if not wanted:
            return None
        # A replaced mention holds only its new keys: its stored version no longer holds the rest.
        dropped = {
            key: {i for i in self._held[key] if key not in self._changes[i].keys}
            for key in wanted
            if key in self._held
        }
        stored = self._stored_holders(wanted, {k: ids for k, ids in dropped.items() if ids})
        for key in wanted:
            holders = [Holder(self._changes[i].position, i) for i in self._holders.get(key, ())]
            if key in stored:
                holders.append(stored[key])
            if holders:
                first = min(holders, key=lambda h: (h.position, h.mention_id))
                if first.mention_id in self._changes or first.payload is None:
                    return self.get(first.mention_id)
                return to_mention(self.path, parse_doc(self.path, first.mention_id, first.payload))
        return None

    def mentions(self, selection: MentionFilter | None = None) -> Iterator[Mention]:
        self._check_open()
        selection = selection or MentionFilter(order=Order.STORED)
        pending = [
            (c.position, m) for c in self._changes.values() if selection.accepts(m := self._mention_of(c))
        ]
        stored = self._stored_mentions(selection, frozenset(self._replaced))
        return merged(selection, stored, pending)

    def count(self, selection: MentionFilter | None = None) -> int:
        self._check_open()
        stored = self._stored_count(selection, frozenset(self._replaced))
        if selection is None:
            return stored + len(self._changes)
        return stored + sum(1 for c in self._changes.values() if selection.accepts(self._mention_of(c)))

    def authors(self, keys: Iterable[str]) -> dict[str, AuthorStats]:
        self._check_open()
        keys = list(keys)
        wanted = {key for key in keys if encodable(key)}
        found = self._stored_authors(wanted, frozenset(self._replaced)) if wanted else {}
        pending = tally((self._mention_of(c) for c in self._changes.values()), wanted)
        for key, counted in pending.items():
            found[key] = add(found.get(key, (0, None)), counted)
        return {key: AuthorStats(key, *found.get(key, (0, None))) for key in keys}

    def state(self, name: str) -> dict[str, Any]:
        self._check_open()
        return copy.deepcopy(self._states.get(name, {}))

    def states(self) -> dict[str, dict[str, Any]]:
        self._check_open()
        return copy.deepcopy(self._states)

    # Changing

    def put(self, mention: Mention, rebase: Rebase | None = None) -> None:
        """Insert or replace by id; lone surrogates in text become U+FFFD (they have no UTF-8 form).

        Raises TypeError when `extra` holds something JSON cannot carry.
        """
        self._check_open()
        as_put = ordered(mention.to_dict())
        doc, payload = serialise(as_put, f"mention {mention.id}")
        mention_id: str = doc["id"]
        change = self._changes.get(mention_id)
        if change is not None:
            if change.payload == payload:
                return
            rebase = _then(change.rebase, rebase)
            for key in change.keys:
                self._holders[key].discard(mention_id)
            position, stored_keys, read = change.position, change.stored_keys, change.read
        else:
            stored = None if mention_id in self._absent else self._stored(mention_id)
            if stored is None:
                position, stored_keys, read = self._new_position(), None, None
            elif stored.payload == payload:
                return
            else:
                position, read = stored.position, stored.payload
                stored_keys = tuple(parse_doc(self.path, mention_id, stored.payload).get("keys") or ())
                self._replaced.add(mention_id)
                for key in stored_keys:
                    self._held.setdefault(key, set()).add(mention_id)
        keys = tuple(doc["keys"])
        given = mention if doc is as_put and reads_back_as_is(mention) else None  # no text was replaced
        self._changes[mention_id] = Change(payload, keys, position, stored_keys, given, rebase, read)
        for key in keys:
            self._holders.setdefault(key, set()).add(mention_id)

    def set_state(self, name: str, value: dict[str, Any]) -> None:
        """Raises TypeError when `value` holds something JSON cannot carry."""
        self._check_open()
        _, payload = serialise({"name": name, "value": dict(value)}, f"state {name!r}")
        doc = orjson.loads(payload)  # a copy that shares nothing with the caller's value
        if doc["name"] in self._states and self._states[doc["name"]] == doc["value"]:
            return
        self._states[doc["name"]] = doc["value"]
        self._dirty_states.add(doc["name"])

    # The unit of work

    def save(self) -> None:
        self._check_open()
        if not self._writable:
            raise StoreError(f"database {self.path} was opened read-only; nothing was saved")
        if not self._changes and not self._dirty_states and not self._more_to_save():
            return
        with self._save_lock() if self._save_lock is not None else nullcontext():
            if self._save_onto is not None and self._changed_since_read():
                # Another command wrote the file since this run read it: this run's changes
                # go onto what is there now, as a PostgreSQL save applies them to the rows.
                self._save_onto(self, self._reopen())
            else:
                changes = sorted(self._changes.items(), key=lambda item: item[1].position)
                self._commit(changes, {name: self._states[name] for name in self._dirty_states})
        self._writes += 1
        self._forget_changes()

    def lock_only_to_save(self, lock: Callable[[], AbstractContextManager[object]], onto: SaveOnto) -> None:
        """Take `lock` for each save only (a long run lets others write meanwhile); a save that
        finds the database changed is `onto(self, <the database as it is now>)` (`rebase.py`)."""
        self._save_lock, self._save_onto = lock, onto

    def close(self) -> None:
        self._closed = True
        self._forget_changes()
        self._states = {}
        self._close()

    # Helpers

    def _new_position(self) -> int:
        if self._next_position is None:
            self._next_position = self._end()
        self._next_position += 1
        return self._next_position - 1

    def _mention_of(self, change: Change) -> Mention:
        """The changed mention as a read gives it back."""
        if change.mention is None:
            change.mention = to_mention(self.path, orjson.loads(change.payload))
        return change.mention

    def _record_of(self, change: Change) -> Mention:
        """The changed mention to derive columns and indexes from: as put when that reads back the same."""
        return change.given or self._mention_of(change)

    def _stored_payload(self, mention_id: str) -> bytes | None:
        stored = self._stored(mention_id)
        return None if stored is None else stored.payload

    def _adopt(self, fresh: BaseStore) -> None:
        """Become `fresh` (this database opened again), keeping how this store saves."""
        lock, onto, writes = self._save_lock, self._save_onto, self._writes
        self._close()
        self.__dict__.update(fresh.__dict__)
        self._save_lock, self._save_onto, self._writes = lock, onto, writes

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"database {self.path} is closed")

    def _check_schema(self, schema: object, current: int, table: str) -> int:
        """The schema version the database declares (`None`: it declares none), if we can read it."""
        if schema is None:
            raise unreadable(
                self.path, f"it has no schema version (table {table}); is it a mentionscan database?"
            )
        if type(schema) is not int or schema < 1:
            raise unreadable(self.path, f"its schema version {schema!r} is not a positive whole number")
        if schema > current:
            raise StoreError(
                f"database {self.path} has schema version {schema}, and this mentionscan reads only "
                f"version {current}: it is too old for this database — upgrade mentionscan"
            )
        return schema


def _then(first: Rebase | None, second: Rebase | None) -> Rebase | None:
    """Both changes, one after the other (a mention changed twice before a save); None unless both."""
    if first is None or second is None:
        return None

    def both(current: Mention) -> Mention | None:
        middle = first(current) or current
        return second(middle) or middle

    return both


def reads_back_as_is(mention: Mention) -> bool:
    """Whether every time in `mention` survives its document: whole seconds, with a time zone."""
    times = [mention.found_at, mention.published, mention.due, mention.digested_at]
    times.extend(event.at for event in mention.timeline)
    return all(t is None or (t.microsecond == 0 and t.tzinfo is not None) for t in times)
