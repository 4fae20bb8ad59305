"""A PostgreSQL server for the tests: `$MENTIONSCAN_TEST_POSTGRES` (`.ci/run` starts one).

Each database a test asks for is a schema of its own in one test database, named in the URL
(`options=-csearch_path=...`), so that making one costs a few milliseconds; the test database is
made anew once per test session. Without the variable, the tests marked `postgres` are
deselected (tests/conftest.py says how many).
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

ENV = "MENTIONSCAN_TEST_POSTGRES"
TEST_DATABASE = "mentionscan_tests"
_made: dict[str, str] = {}
_ready = False


def server() -> str | None:
    """The URL of a server where the tests may make databases, or None."""
    return os.environ.get(ENV) or None


def connect(location: str, autocommit: bool = False) -> Any:
    """A psycopg connection (imported here: a checkout without the postgres extra still collects)."""
    import psycopg

    return psycopg.connect(location, autocommit=autocommit)


def _admin() -> Any:
    url = server()
    if url is None:
        raise RuntimeError(f"${ENV} is not set: no PostgreSQL server for this test")
    return connect(url, autocommit=True)


def reset() -> None:
    """Make the test database anew (once per session): what earlier runs left goes."""
    global _ready
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEST_DATABASE}")
    _ready = True


def database_url(label: str = "") -> str:
    """A new, empty database (a schema of the test database), as a user would write its location."""
    if not _ready:
        reset()
    schema = f"t_{uuid.uuid4().hex[:20]}"
    url = server()
    assert url is not None
    parts = urlsplit(url)
    location = urlunsplit(
        (parts.scheme, parts.netloc, f"/{TEST_DATABASE}", "options=" + quote(f"-csearch_path={schema}"), "")
    )
    with connect(location, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    _made[label or schema] = location
    return location


def role_with_password(location: str, password: str) -> str:
    """`location` as a new role that owns its schema and logs in with `password`, which the URL
    does not hold: the server must ask for it (`.ci/run`'s asks on 127.0.0.1)."""
    role = f"r_{uuid.uuid4().hex[:16]}"
    schema = parse_qs(urlsplit(location).query)["options"][0].removeprefix("-csearch_path=")
    with connect(location, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
    parts = urlsplit(location)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, ""))
