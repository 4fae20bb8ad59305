"""A mention's stored form, the same in every backend: `Mention.to_dict()` as JSON, `id` and `keys` first.

Every backend keeps this document as the full record (the JSON file as one line of it, SQLite
in a column), so a database moves between backends byte for byte, and a put that changes
nothing is seen by comparing two documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from mentionscan.errors import StoreError
from mentionscan.models import MENTION_FIELDS, Mention
from mentionscan.store.files import unreadable

SURROGATE = re.compile("[\ud800-\udfff]")


def ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with `id` and `keys` first, as the JSON backend's fast load expects them."""
    return {"id": doc.get("id"), "keys": doc.get("keys", []), **doc}


def serialise(value: dict[str, Any], what: str) -> tuple[dict[str, Any], bytes]:
    """`value` and its JSON; lone surrogates become U+FFFD (they have no UTF-8 form).

    Raises TypeError naming `what` when `value` holds something JSON cannot carry.
    """
    try:
        return value, orjson.dumps(value)
    except TypeError as error:
        if "surrogates" not in str(error):
            raise TypeError(f"{what} cannot be stored: {error}") from error
    value = _replace_surrogates(value)
    return value, orjson.dumps(value)


def encodable(text: str) -> bool:
    """Whether `text` has a UTF-8 form; nothing stored lacks one, since `serialise` replaced it."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_doc(path: Path, mention_id: object, payload: bytes | str) -> dict[str, Any]:
    """The stored document of one mention, or StoreError naming the database."""
    try:
        doc = orjson.loads(payload)
    except (orjson.JSONDecodeError, TypeError) as error:
        raise unreadable(path, f"mention {mention_id!r} is malformed ({error})") from None
    if not isinstance(doc, dict):
        raise unreadable(path, f"mention {mention_id!r} is malformed (not a JSON object)")
    return doc


def to_mention(path: Path, doc: dict[str, Any]) -> Mention:
    try:
        return Mention.from_dict(doc)
    except MALFORMED as error:
        raise _malformed(path, doc, error) from error


class DocumentView:
    """A stored document read as its `Mention` one field at a time, each converted when first read.

    A filter and an order read a few fields of each of thousands of documents: a query with a
    limit reads just those through views, and builds whole only the mentions it returns
    (`mention()`). Every field reads as `Mention.from_dict` reads it (`MENTION_FIELDS`), and
    the properties a filter asks for are the Mention's own.
    """

    author_key = Mention.author_key
    last_contacted = Mention.last_contacted

    def __init__(self, path: Path, doc: dict[str, Any]) -> None:
        self._path, self._doc = path, doc  # underscored: no field of a Mention is

    def mention(self) -> Mention:
        """The whole mention (its fields read again: a view keeps only what a few are asked)."""
        return to_mention(self._path, self._doc)


class _Field:
    """A field of `DocumentView`: read from the document when first asked for, then kept by the view
    (in its `__dict__`, which a later read finds before this)."""

    __slots__ = ("name", "read")

    def __init__(self, name: str, read: Callable[[dict[str, Any]], Any]) -> None:
        self.name, self.read = name, read

    def __get__(self, view: DocumentView, owner: type | None = None) -> Any:
        try:
            value = self.read(view._doc)
        except MALFORMED as error:
            raise _malformed(view._path, view._doc, error) from error
        view.__dict__[self.name] = value
        return value


for _name, _read in MENTION_FIELDS.items():
    setattr(DocumentView, _name, _Field(_name, _read))


MALFORMED = (KeyError, TypeError, ValueError, AttributeError)  # what reading a malformed document raises


def _malformed(path: Path, doc: dict[str, Any], error: Exception) -> StoreError:
    return unreadable(path, f"mention {doc.get('id')!r} is malformed ({error})")


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_surrogates(v) for v in value]
    return value
