"""What the names a person types refer to: a filter's query and source names, a `--db` path.

A name that refers to nothing is a typo, and a typo must be an error: a filter naming nothing
would show nothing (or change nothing) without a word, and a database path in a folder that
does not exist would start an empty database, so that every mention is announced again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from mentionscan.config.load import resolve_database
from mentionscan.config.model import ENV_DB, Config
from mentionscan.errors import ConfigError, did_you_mean
from mentionscan.store import MentionFilter, Store, database_path, is_postgres
from mentionscan.store.interface import words_of
from mentionscan.timeutil import parse_since


def check_names(
    config: Config | None,
    opened: Callable[[], AbstractContextManager[Store]],
    *,
    queries: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> None:
    """ConfigError for a query or source name that neither `config` nor any stored mention has
    (the database `opened()` is read only when a name is not in the config).

    A name gone from the config that stored mentions still carry is fine: it still selects them.
    """
    for kind, names, known in (
        ("query", queries, [q.name for q in config.queries] if config else []),
        ("source", sources, [s.name for s in config.sources] if config else []),
    ):
        for name in names:
            if name in known:
                continue
            wanted = MentionFilter(queries=(name,), limit=1) if kind == "query" else None
            with opened() as store:
                if store.count(wanted or MentionFilter(sources=(name,), limit=1)):
                    continue
            where = f"{config.path} or the database" if config else "the database"
            raise ConfigError(f"no {kind} named {name!r} in {where}{did_you_mean(name, known)}")


def database_override(database: str | None) -> str | None:
    """`--db`, else `$MENTIONSCAN_DB`, resolved from the current folder; None when neither is given.

    Its folder must exist: a ConfigError naming the option (or the variable) otherwise.
    """
    named = f"--db {database}"
    if not database and (env := os.environ.get(ENV_DB)):
        database, named = env, f"{ENV_DB}={env}"
    if not database:
        return None
    location = resolve_database(database, Path.cwd())
    if is_postgres(location):
        return location  # a server's database: no folder of ours
    folder = database_path(location).parent
    if not folder.is_dir():
        raise ConfigError(f"{named}: the folder {folder} does not exist (a typo? create it first if new)")
    return location


def make_filter(
    *,
    status: Sequence[str] = (),
    query: Sequence[str] = (),
    source: Sequence[str] = (),
    since: str | datetime | None = None,
    published_since: str | datetime | None = None,
    words: str = "",
    limit: int | None = None,
) -> MentionFilter:
    """A `MentionFilter` from what a user types: `since="7d"`, `status=["new", "todo"]`.

    `since` is when a mention was found (stored), as everywhere; `published_since` when the site
    says it was written (the time it was found when the site gave none).
    """
    return MentionFilter(
        statuses=tuple(status),
        queries=tuple(query),
        sources=tuple(source),
        published_since=_moment(published_since),
        found_since=_moment(since),
        words=tuple(words_of(words)),
        limit=limit,
    )


def _moment(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_since(value)
