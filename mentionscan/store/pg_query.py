"""A `MentionFilter` as PostgreSQL over `pg_schema.py`: `sqlite_query.where`'s narrowing, in this dialect.

Each field is one condition on a column (a list of values is one array parameter), the queries
through their side table, the words through the tsvector's GIN index by prefix. The words column
keeps the start of a very long word, and may stop short on a huge text: a search for words is
checked again in Python (`needs_check`), so it is never answered wrongly. SQL text is put
together only from this module's own constants (hence S608).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from mentionscan.store import sqlite_query
from mentionscan.store.docs import encodable
from mentionscan.store.interface import MentionFilter, words_of
from mentionscan.store.pg_schema import escape, lexeme
from mentionscan.store.sqlite_query import ORDER_BY, Where


class PgWhere(Where):
    """A WHERE clause in PostgreSQL's dialect."""

    MARK = "%s"

    def within(self, column: str, values: Iterable[str]) -> None:
        """`column` is one of `values`; a value with no UTF-8 form (a lone surrogate) matches nothing."""
        chosen = [escape(v) for v in dict.fromkeys(values) if encodable(v)]
        if chosen:
            self.add(f"{column} = ANY(%b::text[])", chosen)
        else:
            self.add("false")

    def excluding(self, ids: Collection[str]) -> None:
        self.add("id <> ALL(%b::text[])", [escape(i) for i in sorted(ids)])

    def statuses(self, s: MentionFilter) -> None:
        self.within("status", s.statuses)  # the planner has statistics: no hint needed

    def words(self, wanted: tuple[str, ...]) -> None:
        terms = []
        for word in dict.fromkeys(wanted):
            if word == "":
                # Every word starts with "": it asks for a mention that has any word at all.
                self.add("(words <> ''::tsvector OR NOT words_whole)")
            elif words_of(word) != [word]:
                self.add("false")  # not a folded word: no folded word can start with it
                return
            else:
                terms.append(f"'{lexeme(word)}':*")  # letters and digits only: nothing to quote
        if terms:
            self.add("(words @@ %s::tsquery OR NOT words_whole)", " & ".join(terms))


def needs_check(selection: MentionFilter) -> bool:
    """Whether each row SQL gives is checked again in Python (and the limit applied there).

    A search for words: a row whose words were cut passes the SQL test on trust, and a word longer
    than the column keeps is looked for by its start.
    """
    return bool(selection.words)


def select_sql(selection: MentionFilter, exclude: Collection[str]) -> tuple[str, list[Any]]:
    """The query for `Store.mentions`: seq, id, doc and version of each chosen row, in order."""
    found = sqlite_query.where(selection, exclude, PgWhere)
    limited = selection.limit and not needs_check(selection)
    limit = f" LIMIT {int(selection.limit or 0)}" if limited else ""
    order = ORDER_BY[selection.order]
    sql = f"SELECT seq, id, doc, version FROM mentions{found.sql()} ORDER BY {order}{limit}"  # noqa: S608
    return sql, found.params


def count_sql(selection: MentionFilter | None, exclude: Collection[str]) -> tuple[str, list[Any]]:
    return sqlite_query.count_sql(selection, exclude, PgWhere)


def authors_sql(keys: Collection[str], exclude: Collection[str]) -> tuple[str, list[Any]]:
    return sqlite_query.authors_sql(keys, exclude, PgWhere)


def successor(text: str) -> str | None:
    """The first string after every string that starts with `text` (None: there is none)."""
    chars = list(text)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:
                nxt = 0xE000  # no surrogates in UTF-8
            return "".join(chars) + chr(nxt)
    return None
