"""Eight mentions that differ in every field a `MentionFilter` reads, with ties to break.

In stored order m000001 … m000008. Newest first (sort time, then found_at, then id):
8, 7, 3, 2, 6, 5, 1, 4. By due date: 4, 3, 2, 7, then those without one by found_at: 1, 5, 6, 8.
"""

from __future__ import annotations

from datetime import timedelta

from mentionscan.models import Event, Mention
from tests.store.tools import T0, make

H = timedelta(hours=1)
D = timedelta(days=1)
NEWEST = [8, 7, 3, 2, 6, 5, 1, 4]
DUE = [4, 3, 2, 7, 1, 5, 6, 8]


def corpus() -> list[Mention]:
    return [
        make(1, title="Acme Widgets review", snippet="Straße and café", author="Zoë Ünïcode",
             published=T0 - D, found_at=T0, source="blog", queries=("acme",)),
        make(2, title="Widget tips", snippet="", text="ÅNGSTRÖM units inside", author=None,
             url="https://forum.example.org/t/2", found_at=T0 + H, source="hn", queries=("acme", "widget"),
             status="todo", due=T0 + 2 * D, digested_at=T0 + 2 * H, author_email="help@forum.example.org"),
        make(3, title="Unrelated but Widgetry", snippet="", author="zoe  unicode", published=T0 + 3 * H,
             found_at=T0 + 2 * H, source="reddit", queries=("widget",), status="contacted", due=T0 + D,
             timeline=(Event(T0 + 5 * H, "status", "contacted"),)),
        make(4, title="Old news", snippet="", author="Writer", published=T0 - 2 * D, found_at=T0 - 2 * D,
             source="blog", queries=("acme",), status="ignored", due=T0 - D, digested_at=T0 - D,
             timeline=(Event(T0 - D, "draft", "hello"),)),
        make(5, title="Same time as two", snippet="", published=T0 + H, found_at=T0 + H / 2, source="blog",
             queries=("acme",), timeline=(Event(T0 + H, "note", "Promised a callback on Friday"),)),
        make(6, title="Same moment as five", snippet="", published=T0 + H, found_at=T0 + H / 2,
             source="blog", queries=("acme",),
             contacts=({"kind": "email", "value": "ops@acme-corp.example", "found_at": "page"},)),
        make(7, title="Nothing", snippet="", text="nothing to see", author="WRITER", found_at=T0 + 4 * H,
             source="lobsters", queries=("widget 2",), status="replied", due=T0 + 2 * D,
             timeline=(Event(T0 + 6 * H, "status", "contacted"), Event(T0 + 7 * H, "status", "replied"))),
        make(8, title="", snippet="", text="", found_at=T0 + 5 * H, source="hn", queries=(),
             status="resolved"),
    ]  # fmt: skip


def ids(numbers: list[int]) -> list[str]:
    return [f"m{n:06d}" for n in numbers]
