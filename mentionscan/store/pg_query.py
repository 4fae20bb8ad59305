"""A `MentionFilter` as PostgreSQL over `pg_schema.py`: what `MentionFilter.accepts` means, indexed.

Each field becomes one condition on a column (a list of values is one array parameter), the
queries through their side table, the words through the tsvector's GIN index by prefix. The
words column keeps the start of a very long word, and may stop short on a huge text: a search
that reaches past what it keeps is checked again in Python (`needs_check`), never answered
wrongly. SQL text is put together only from this module's own constants (hence S608).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from mentionscan.store.docs import encodable
from mentionscan.store.interface import MentionFilter, Order, words_of
from mentionscan.store.pg_schema import escape, lexeme
from mentionscan.store.sqlite_schema import micros

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

    def within(self, column: str, values: Collection[str]) -> None:
        """`column` is one of `values`; a value with no UTF-8 form (a lone surrogate) matches nothing."""
        chosen = [escape(v) for v in dict.fromkeys(values) if encodable(v)]
        if chosen:
            self.add(f"{column} = ANY(%s)", chosen)
        else:
            self.add("false")

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""


def where(selection: MentionFilter | None, exclude: Collection[str] = ()) -> Where:
    found = Where()
    if selection is not None:
        _narrow(found, selection)
    if exclude:
        found.add("id <> ALL(%s)", [escape(i) for i in sorted(exclude)])
    return found


def _narrow(found: Where, s: MentionFilter) -> None:
    if s.ids:
        found.within("id", s.ids)
    if s.statuses:
        found.within("status", s.statuses)
    if s.queries:
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
            found.add(f"{column} {operator} %s", micros(bound))
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
            found.add("(words <> ''::tsvector OR NOT words_whole)")
        elif words_of(word) != [word]:
            found.add("false")  # not a folded word: no folded word can start with it
            return
        else:
            terms.append(f"'{lexeme(word)}':*")  # letters and digits only: nothing to quote
    if terms:
        found.add("(words @@ %s::tsquery OR NOT words_whole)", " & ".join(terms))


def needs_check(selection: MentionFilter) -> bool:
    """Whether each row SQL gives is checked again in Python (and the limit applied there).

    A search for words: a row whose words were cut passes the SQL test on trust, and a word longer
    than LEXEME_CHARS is looked for by its start.
    """
    return bool(selection.words)


def select_sql(selection: MentionFilter, exclude: Collection[str]) -> tuple[str, list[Any]]:
    """The query for `Store.mentions`: seq, id, doc and version of each chosen row, in order."""
    found = where(selection, exclude)
    limited = selection.limit and not needs_check(selection)
    limit = f" LIMIT {int(selection.limit or 0)}" if limited else ""
    order = ORDER_BY[selection.order]
    sql = f"SELECT seq, id, doc, version FROM mentions{found.sql()} ORDER BY {order}{limit}"  # noqa: S608
    return sql, found.params


def count_sql(selection: MentionFilter | None, exclude: Collection[str]) -> tuple[str, list[Any]]:
    found = where(selection, exclude)
    return f"SELECT count(*) FROM mentions{found.sql()}", found.params  # noqa: S608


def authors_sql(keys: Collection[str], exclude: Collection[str]) -> tuple[str, list[Any]]:
    found = where(None, exclude)
    found.within("author_key", keys)
    sql = f"SELECT author_key, count(*), max(last_contacted) FROM mentions{found.sql()} GROUP BY author_key"  # noqa: S608
    return sql, found.params
