"""What every backend answers: the `Store` interface, the `MentionFilter` it takes, typed state.

A store is a unit of work: reads see the database plus this store's own unsaved changes; `put`
and `write_state` change memory only; `save` writes every change at once (one transaction, one
atomic file write), or nothing. Backends push `MentionFilter` down (SQLite into SQL); the
reference meaning of every field is `MentionFilter.accepts`, and one contract test suite
(`tests/store/`) holds each backend to it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self, TypeVar

from mentionscan.errors import ConfigError
from mentionscan.models import STATUSES, Mention
from mentionscan.text import fold

_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, as `search` takes words
# In ASCII, once folded, a letter or digit is [a-z0-9]: every other character separates words.
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})


class Order(StrEnum):
    """The order `Store.mentions` yields in."""

    NEWEST = "newest"  # sort time (published, else found) descending, then found_at, then id
    DUE = "due"  # due date ascending (none last), then id
    STORED = "stored"  # the order they were first stored in


def sort_time(mention: Mention) -> datetime:
    """When a mention happened, as far as we know: its date, else when we found it."""
    return mention.published or mention.found_at


def words_of(text: str) -> list[str]:
    """The folded words of `text` (runs of letters and digits), as `MentionFilter.words` compares them."""
    folded = fold(text)
    if folded.isascii():
        # What `_WORD` finds, twice as fast: a store derives the words of every mention it saves.
        return folded.translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(folded)


def search_text(mention: Mention) -> str:
    """What a word search reads of a mention: its title, snippet and text, who wrote it (name and
    address), our notes on it, and how to reach the author (`contact`'s findings)."""
    notes = [e.text for e in mention.timeline if e.kind == "note"]
    contacts = [str(c.get("value") or "") for c in mention.contacts]
    fields = (mention.title, mention.snippet, mention.text, mention.author, mention.author_email)
    return " ".join([*(f for f in fields if f), *notes, *contacts])


@dataclass(frozen=True, slots=True)
class MentionFilter:
    """Which stored mentions to read, in what order, how many. Every field narrows; empty: any."""

    ids: tuple[str, ...] = ()  # exact ids
    statuses: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()  # matched any of these queries
    sources: tuple[str, ...] = ()
    found_since: datetime | None = None  # found at or after
    found_before: datetime | None = None  # found strictly before
    published_since: datetime | None = None  # sort time (published, else found) at or after
    published_before: datetime | None = None  # sort time strictly before
    due_before: datetime | None = None  # has a due date, strictly before this moment
    author_keys: tuple[str, ...] = ()  # `Mention.author_key` is one of these
    words: tuple[str, ...] = ()  # folded; each starts a word of `search_text` (title ... contacts)
    undigested: bool = False  # no digest has carried it yet
    limit: int | None = None
    order: Order = Order.NEWEST

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in STATUSES:
                raise ConfigError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("--limit must be 1 or more")

    def accepts(self, mention: Mention) -> bool:
        """Whether `mention` passes every field but `limit` and `order`: the reference meaning."""
        if self.ids and mention.id not in self.ids:
            return False
        if self.statuses and mention.status not in self.statuses:
            return False
        if self.queries and not any(q in mention.queries for q in self.queries):
            return False
        if self.sources and mention.source not in self.sources:
            return False
        if self.found_since is not None and mention.found_at < self.found_since:
            return False
        if self.found_before is not None and mention.found_at >= self.found_before:
            return False
        when = sort_time(mention)
        if self.published_since is not None and when < self.published_since:
            return False
        if self.published_before is not None and when >= self.published_before:
            return False
        if self.due_before is not None and (mention.due is None or mention.due >= self.due_before):
            return False
        if self.author_keys and mention.author_key not in self.author_keys:
            return False
        if self.undigested and mention.digested_at is not None:
            return False
        if self.words:
            have = words_of(search_text(mention))
            if not all(any(word.startswith(w) for word in have) for w in self.words):
                return False
        return True

    def sort_key(self, mention: Mention) -> tuple[Any, ...]:
        """Ascending key for `order` (NEWEST is the reverse of it; STORED has none)."""
        if self.order is Order.DUE:
            return (mention.due is None, mention.due or mention.found_at, mention.id)
        return (sort_time(mention), mention.found_at, mention.id)


def select(mentions: Iterable[Mention], selection: MentionFilter) -> list[Mention]:
    """What a store answers for `selection`, computed in Python (the reference, and small backends)."""
    chosen = [m for m in mentions if selection.accepts(m)]
    if selection.order is Order.NEWEST:
        chosen.sort(key=selection.sort_key, reverse=True)
    elif selection.order is Order.DUE:
        chosen.sort(key=selection.sort_key)
    return chosen[: selection.limit] if selection.limit else chosen


@dataclass(frozen=True, slots=True)
class AuthorStats:
    """What the store holds of one author (`Mention.author_key`): how many mentions, last contact."""

    key: str
    mentions: int
    last_contacted: datetime | None


class StateRecord(Protocol):
    """A typed piece of program state, owned by the module that defines it.

    Stored under `"<KIND>:<key>"` (or `KIND` alone for a record of which there is one) as the
    JSON object `to_dict` gives; `from_dict` reads every shape an older version wrote.
    """

    KIND: ClassVar[str]

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self: ...


R = TypeVar("R", bound=StateRecord)


def state_name(kind: str, key: str = "") -> str:
    return f"{kind}:{key}" if key else kind


class Store(ABC):
    """Stored mentions and program state; changes wait in memory for `save()`."""

    location: str  # what the user configured (path or URL), for messages
    schema: int | None  # the schema version of the database as it is now (None: not created yet)

    @property
    @abstractmethod
    def writes(self) -> int:
        """How many times the database was physically written since it was opened."""

    # Mentions

    @abstractmethod
    def mentions(self, selection: MentionFilter | None = None) -> Iterator[Mention]:
        """The mentions `selection` picks, in its order, at most its limit; without it every one, as stored.

        Read as of the call: puts made while iterating show in the next call.
        """

    @abstractmethod
    def count(self, selection: MentionFilter | None = None) -> int:
        """How many mentions `selection` picks, `limit` ignored."""

    @abstractmethod
    def get(self, mention_id: str) -> Mention | None:
        """The mention with exactly this id, or None."""

    @abstractmethod
    def resolve(self, prefix: str) -> Mention:
        """The mention whose id is `prefix`, or the only one whose id starts with it (raises NotFound)."""

    @abstractmethod
    def find_by_keys(self, keys: Iterable[str]) -> Mention | None:
        """The stored mention holding any of these dedup keys (a key two hold: the first stored)."""

    @abstractmethod
    def authors(self, keys: Iterable[str]) -> dict[str, AuthorStats]:
        """For each author key, how many mentions carry it and when one was last contacted."""

    @abstractmethod
    def put(self, mention: Mention) -> None:
        """Insert the mention, or replace the stored one with the same id (in memory until `save`)."""

    # Program state: JSON objects by name; the typed records are read and written through these.

    @abstractmethod
    def state(self, name: str) -> dict[str, Any]:
        """A copy of the program state stored under `name`; {} when there is none."""

    @abstractmethod
    def set_state(self, name: str, value: dict[str, Any]) -> None:
        """Replace the program state stored under `name` (in memory until `save`)."""

    @abstractmethod
    def states(self) -> dict[str, dict[str, Any]]:
        """A copy of every stored program state, by name."""

    def read_state(self, kind: type[R], key: str = "") -> R:
        """The typed record stored for `key` (an empty one when none is)."""
        return kind.from_dict(self.state(state_name(kind.KIND, key)))

    def write_state(self, record: StateRecord, key: str = "") -> None:
        self.set_state(state_name(record.KIND, key), record.to_dict())

    # The unit of work

    @abstractmethod
    def save(self) -> None:
        """Write every change atomically, at most once; nothing at all when nothing changed."""

    @abstractmethod
    def close(self) -> None:
        """Forget the data; never writes."""
