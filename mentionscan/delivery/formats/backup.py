"""`export --full`: a backup of every field of every mention, that `mentionscan import` reads back.

One JSON document::

    {"mentionscan_backup": 1, "exported_at": "2026-11-23T07:00:00Z",
     "mentions": [<Mention.to_dict()>, ...], "states": {<name>: {...}, ...}}

Each mention is its whole stored form (timeline and notes, contacts, due date, when a digest
carried it, dedup keys, text, tags), in stored order, so that an import into an empty database
gives the same database back. `states` (cursors, source health, the last digest) is there only
when the export chose every mention: state about sources makes sense only with all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from mentionscan.delivery.formats import Context
from mentionscan.errors import ConfigError
from mentionscan.models import Mention
from mentionscan.timeutil import to_iso, utcnow

VERSION = 1
MARKER = "mentionscan_backup"


@dataclass(frozen=True, slots=True)
class Backup:
    """What a backup file holds: its mentions, and the program state (None: not a whole database)."""

    mentions: list[Mention]
    states: dict[str, dict[str, Any]] | None = None
    exported_at: str = ""
    path: Path = field(default_factory=Path)


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    document: dict[str, Any] = {
        MARKER: VERSION,
        "exported_at": to_iso(context.now or utcnow()),
        "mentions": [m.to_dict() for m in mentions],
    }
    if context.states is not None:
        document["states"] = context.states
    out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode("utf-8"))
    out.write("\n")


def read(path: Path) -> Backup:
    """The backup at `path`; a ConfigError naming the file (and the mention) for anything else."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not a mentionscan backup: not JSON ({exc})") from None
    if isinstance(document, list):
        raise ConfigError(
            f"{path} is a plain export (the public fields only, no timeline or dedup keys): "
            "import reads what `mentionscan export --full` writes"
        )
    if not isinstance(document, dict) or MARKER not in document:
        raise ConfigError(f"{path} is not a mentionscan backup: make one with `mentionscan export --full`")
    version = document[MARKER]
    if type(version) is not int or version < 1:
        raise ConfigError(f"{path}: {MARKER} {version!r} is not a backup version")
    if version > VERSION:
        raise ConfigError(
            f"{path} is a backup of version {version}, made by a newer mentionscan: "
            f"this one reads version {VERSION} — upgrade mentionscan"
        )
    items, states = document.get("mentions"), document.get("states")
    if not isinstance(items, list):
        raise ConfigError(f"{path}: 'mentions' must be a list")
    if states is not None and not (
        isinstance(states, dict) and all(isinstance(v, dict) for v in states.values())
    ):
        raise ConfigError(f"{path}: 'states' must be an object of objects")
    mentions = [_mention(path, index, item) for index, item in enumerate(items, start=1)]
    return Backup(mentions, states, str(document.get("exported_at") or ""), path)


def _mention(path: Path, index: int, item: Any) -> Mention:
    where = f"{path}: mention #{index}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where} is not an object")
    mention_id, keys = item.get("id"), item.get("keys")
    if not isinstance(mention_id, str) or not mention_id:
        raise ConfigError(f"{where} has no id")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise ConfigError(f"{where} ({mention_id!r}) has no dedup keys: it cannot be stored once")
    try:
        return Mention.from_dict(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where} ({mention_id!r}) is malformed ({exc})") from None
