"""A `MentionFilter` as SQL over schema 3 (`sqlite_schema.py`): what `MentionFilter.accepts` means, indexed.

Each field becomes one condition on a column (or a side table, or the FTS5 table for words);
`exclude` leaves out the stored versions of mentions the caller has changed in memory. Every
value goes in as a parameter; SQL text is put together only from this module's own constants
(hence the S608 exemptions).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import orjson

from mentionscan.store.docs import encodable
from mentionscan.store.interface import MentionFilter, Order, words_of
from mentionscan.store.sqlite_schema import micros

MAX_PLACEHOLDERS = 50  # a longer list goes in as one JSON array, read by json_each

ORDER_BY = {
    Order.NEWEST: "sort_at DESC, found_at DESC, id DESC",
    Order.DUE: "due IS NULL, coalesce(due, found_at), id",
    Order.STORED: "seq",
}


class Where:
    """A WHERE clause and its parameters, built one condition at a time."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def within(self, column: str, values: Iterable[str]) -> None:
        """`column` is one of `values`; a value SQLite cannot hold (a lone surrogate) matches nothing."""
        chosen = [v for v in dict.fromkeys(values) if encodable(v)]
        if not chosen:
            self.add("0")
        elif len(chosen) <= MAX_PLACEHOLDERS:
            self.add(f"{column} IN ({', '.join('?' * len(chosen))})", *chosen)
        else:
            self.add(f"{column} IN (SELECT value FROM json_each(?))", orjson.dumps(chosen).decode())  # noqa: S608

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""


def where(selection: MentionFilter | None, exclude: Collection[str] = ()) -> Where:
    found = Where()
    if selection is not None:
        _narrow(found, selection)
    if exclude:
        found.add("id NOT IN (SELECT value FROM json_each(?))", orjson.dumps(sorted(exclude)).decode())
    return found


def _narrow(found: Where, s: MentionFilter) -> None:
    if s.ids:
        found.within("id", s.ids)
    if s.statuses:
        # Six statuses: of all the fields the one that narrows least. Without statistics SQLite
        # would still start from its index (an equality looks selective), and read most of the
        # table to find 30 due mentions; so with any other field set, `+` keeps it a filter.
        others = (s.sources, s.found_since, s.found_before, s.published_since, s.published_before)
        narrower = s.ids or s.due_before or s.author_keys or s.words or any(v for v in others)
        found.within("+status" if narrower else "status", s.statuses)
    if s.queries:
        # Checked row by row through the primary key, not gathered first: a query most mentions
        # matched would otherwise fetch and sort all of them for the newest twenty.
        inner = Where()
        inner.add("q.seq = mentions.seq")
        inner.within("q.query", s.queries)
        found.add(f"EXISTS (SELECT 1 FROM mention_queries AS q{inner.sql()})", *inner.params)  # noqa: S608
    if s.sources:
        found.within("source", s.sources)
    for column, bound, operator in (
        ("found_at", s.found_since, ">="),
        ("found_at", s.found_before, "<"),
        ("sort_at", s.published_since, ">="),
        ("sort_at", s.published_before, "<"),
        ("due", s.due_before, "<"),  # NULL (no due date) is never less than anything
    ):
        if bound is not None:
            found.add(f"{column} {operator} ?", micros(bound))
    if s.author_keys:
        found.within("author_key", s.author_keys)
    if s.undigested:
        found.add("digested_at IS NULL")
    if s.words:
        _words(found, s.words)


def _words(found: Where, wanted: tuple[str, ...]) -> None:
    terms = []
    for word in dict.fromkeys(wanted):
        if word == "":
            # Every word starts with "": it asks for a mention that has any word at all.
            found.add("seq IN (SELECT rowid FROM mention_words WHERE words <> '')")
        elif words_of(word) != [word]:
            # Not a folded word: no folded word can start with it (a prefix of one is one).
            found.add("0")
            return
        else:
            terms.append(f'"{word}"*')  # a run of letters and digits: no quote to escape
    if terms:
        found.add("seq IN (SELECT rowid FROM mention_words WHERE mention_words MATCH ?)", " ".join(terms))


def select_sql(selection: MentionFilter, exclude: Collection[str]) -> tuple[str, list[Any]]:
    """The query for `Store.mentions`: seq, id and doc of each chosen row, in order, limited."""
    found = where(selection, exclude)
    limit = f" LIMIT {int(selection.limit)}" if selection.limit else ""
    order = ORDER_BY[selection.order]
    if selection.order is Order.STORED and (selection.found_since or selection.found_before):
        # Left to itself SQLite walks the whole table in seq order rather than sort the few rows
        # the found_at index gives (what a channel has not had: 100 among 100,000): "+seq" keeps
        # the index. 0.5 ms instead of 80 at 100,000 mentions (bench/notify.py).
        order = "+seq"
    sql = f"SELECT seq, id, doc FROM mentions{found.sql()} ORDER BY {order}{limit}"  # noqa: S608
    return sql, found.params


def count_sql(selection: MentionFilter | None, exclude: Collection[str]) -> tuple[str, list[Any]]:
    found = where(selection, exclude)
    return f"SELECT count(*) FROM mentions{found.sql()}", found.params  # noqa: S608


def authors_sql(keys: Collection[str], exclude: Collection[str]) -> tuple[str, list[Any]]:
    """Per author key: how many mentions carry it and the latest last contact, from the covering index."""
    found = where(None, exclude)
    found.within("author_key", keys)
    sql = f"SELECT author_key, count(*), max(last_contacted) FROM mentions{found.sql()} GROUP BY author_key"  # noqa: S608
    return sql, found.params
