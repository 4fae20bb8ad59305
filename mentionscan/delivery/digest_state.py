"""What the database remembers of digests (a typed state record, `Store.read_state`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from mentionscan.timeutil import parse_time, to_iso


@dataclass(frozen=True, slots=True)
class DigestState:
    """What the database remembers of digests: when the last one went out, with how many, where."""

    KIND: ClassVar[str] = "digest"
    last_sent: datetime | None = None
    count: int = 0
    where: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"last_sent": to_iso(self.last_sent), "count": self.count, "where": self.where}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DigestState:
        count = data.get("count")
        return cls(
            last_sent=parse_time(data.get("last_sent")),
            count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
            where=str(data.get("where") or ""),
        )
