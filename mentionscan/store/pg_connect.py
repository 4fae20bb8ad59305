"""Reaching a PostgreSQL server: the location a user writes, the password, the message on failure."""

from __future__ import annotations

import os
from typing import Any

import psycopg

from mentionscan.errors import ConfigError, StoreError
from mentionscan.urls import redact_password

CONNECT_TIMEOUT = 10  # seconds to reach the server before saying it cannot be reached


def shown(location: str) -> str:
    """The location without its password, for messages."""
    return redact_password(location)


def connect(location: str, password_env: str | None = None, *, autocommit: bool = True) -> psycopg.Connection:
    """A connection to the database at `location`; the password from `$<password_env>` when named,
    else as libpq finds it (the URL, PGPASSWORD, PGPASSFILE)."""
    extra: dict[str, Any] = {}
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise ConfigError(
                f"[settings] database_password_env: environment variable {password_env} is not set "
                f"(the password of {shown(location)})"
            )
        extra["password"] = password
    try:
        return psycopg.connect(
            location,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT,
            application_name="mentionscan",
            **extra,
        )
    except psycopg.Error as error:
        lines = str(error).strip().splitlines()
        why = lines[-1] if lines else type(error).__name__
        for line in lines:
            if "FATAL" in line or "could not" in line or "failed" in line:
                why = line.rsplit("failed:", 1)[-1].strip()
                break
        raise StoreError(f"cannot connect to database {shown(location)}: {why}") from None


def describe(error: psycopg.Error) -> str:
    """The server's one-line reason, without the context lines libpq adds."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
