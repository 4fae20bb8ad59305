"""What a config says, as typed records: settings, queries, sources, email; and their defaults.

`load.py` reads a TOML file into these; everything else only ever sees these records.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from mentionscan import __version__
from mentionscan.errors import ConfigError, did_you_mean
from mentionscan.masking import remember
from mentionscan.matching.query import Node, parse_query

ENV_CONFIG = "MENTIONSCAN_CONFIG"
ENV_DB = "MENTIONSCAN_DB"
ENV_HOME = "MENTIONSCAN_HOME"
DEFAULT_USER_AGENT = f"mentionscan/{__version__} (+https://pypi.org/project/mentionscan/)"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Option:
    """One allowed key of a table: its type(s), whether it must be given, its default, what it holds."""

    types: tuple[type, ...]
    required: bool = False
    default: Any = None
    help: str = ""
    least: int | None = None  # a number's smallest value (None: any)
    most: int | None = None  # with `least`, its largest (None: any)
    url: bool = False  # an http:// or https:// URL

    def outside(self, value: Any) -> str:
        """The range a number outside this option's must be in ("1 to 40", "1 or more"); "" if it is in it."""
        low, high = self.least, self.most
        if low is None or value is None or (low <= value and (high is None or value <= high)):
            return ""
        return f"{low} or more" if high is None else f"{low} to {high}"


def opt(
    *types: type,
    required: bool = False,
    default: Any = None,
    help: str = "",
    least: int | None = None,
    most: int | None = None,
) -> Option:
    return Option(types, required, default, help, least, most)


def count_opt(what: str, most: int, *, default: int | None = None) -> Option:
    """A count from 1 to `most` (by default `most`), such as results per request; the help says so."""
    return opt(int, default=default or most, least=1, most=most, help=f"{what}, 1 to {most}")


def url_opt(help: str, *, required: bool = False) -> Option:
    """An http:// or https:// URL (a feed, an instance): the loader refuses anything else."""
    return Option((str,), required, help=help, url=True)


def env_opt(holding: str, *, required: bool = False) -> Option:
    """An option naming the environment variable that holds a secret: a config never holds one."""
    return opt(str, required=required, help=f"environment variable holding {holding}")


@dataclass(frozen=True, slots=True)
class Settings:
    """`[settings]`, every default defined here and nowhere else."""

    database: str = ""  # the resolved location; "" only before the config is read
    timeout: float = 20
    deadline: float = 60
    concurrency: int = 64
    per_host: int = 4
    max_age_days: int = 14
    user_agent: str = DEFAULT_USER_AGENT
    max_response_mb: float = 15
    lock_timeout: float = 60
    database_password_env: str | None = None
    task_lease: float = 60
    allow_private_redirects: bool = False
    reply_template: str | None = None
    reply_from: str | None = None
    notify: bool = False


_SETTINGS_HELP: dict[str, tuple[tuple[type, ...], str]] = {
    "database": ((str,), "path of the database, sqlite:///path, or postgresql://user@host/db"),
    "timeout": ((int, float), "seconds per request"),
    "deadline": ((int, float), "seconds one source may take in all, retries included"),
    "concurrency": ((int,), "requests in flight (per_host caps each host)"),
    "per_host": ((int,), "requests in flight to one host"),
    "max_age_days": ((int,), "entries older than this are ignored (0: no limit)"),
    "user_agent": ((str,), ""),
    "max_response_mb": ((int, float), "largest response body, after decompression"),
    "lock_timeout": ((int, float), "seconds to wait for another run's lock"),
    "database_password_env": ((str,), "environment variable holding the PostgreSQL password"),
    "task_lease": ((int, float), "seconds a killed fetch worker's tasks stay claimed (PostgreSQL)"),
    "allow_private_redirects": ((bool,), ""),
    "reply_template": ((str,), "path of the email reply template"),
    "reply_from": ((str,), "From: of reply drafts (default: [email] from)"),
    "notify": ((bool,), "send what each fetch finds to the [[notify]] channels"),
}


def _setting(name: str, default: Any) -> Option:
    types, text = _SETTINGS_HELP[name]
    # The database's default depends on where the config file is: `load` works it out.
    return Option(types, default=None if name == "database" else default, help=text)


SETTINGS_OPTIONS: dict[str, Option] = {f.name: _setting(f.name, f.default) for f in fields(Settings)}

QUERY_OPTIONS: dict[str, Option] = {
    "name": opt(str, required=True),
    "match": opt(str, required=True),
    "sources": opt(list),
}
# Keys every [[sources]] table may carry, whatever its type.
SOURCE_COMMON_OPTIONS: dict[str, Option] = {
    "name": opt(str, required=True),
    "type": opt(str, required=True),
    "enabled": opt(bool, default=True),
    "base_url": url_opt("replaces the scheme and host of the site's endpoint"),
    "rate_per_minute": opt(int, float, help="requests per minute to this source's host"),
}


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A `[[queries]]` table; `node` is `match` parsed, once (a QuerySyntaxError if it cannot be)."""

    name: str
    match: str
    sources: tuple[str, ...] | None = None
    node: Node = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.node is None:
            object.__setattr__(self, "node", parse_query(self.match))


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A `[[sources]]` table: the common keys, and the type's own in `options`."""

    name: str
    type: str
    index: int
    options: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    base_url: str | None = None
    rate_per_minute: float | None = None
    file: str = field(default="", compare=False)  # the config file it was read from

    @property
    def where(self) -> str:
        table = f'[[sources]] #{self.index} ("{self.name}")'
        return f"{self.file}: {table}" if self.file else table

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True, slots=True)
class EmailSpec:
    to: tuple[str, ...]
    sender: str
    smtp_host: str = "localhost"
    smtp_port: int | None = None
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    verify_certificate: bool = True
    timeout: float = 30
    sendmail: str | None = None  # a local mail program (`/usr/sbin/sendmail -t`) instead of SMTP


def _default(record: type, name: str) -> Any:
    """The default a record's field declares: each default is written once, on the record."""
    return next(f.default for f in fields(record) if f.name == name)


EMAIL_OPTIONS: dict[str, Option] = {
    "to": opt(str, list, required=True),
    "from": opt(str, required=True),
    "smtp_host": opt(str, default=_default(EmailSpec, "smtp_host")),
    "smtp_port": opt(int),
    "security": opt(str, default=_default(EmailSpec, "security")),
    "username": opt(str),
    "password_env": opt(str),
    "verify_certificate": opt(bool, default=_default(EmailSpec, "verify_certificate")),
    "timeout": opt(int, float, default=_default(EmailSpec, "timeout")),
    "sendmail": opt(str, help="a mail program that reads the message on stdin, instead of SMTP"),
}


NOTIFY_TYPES = ("apprise", "webhook")
NOTIFY_MODES = ("instant", "digest")


@dataclass(frozen=True, slots=True)
class NotifySpec:
    """A `[[notify]]` table: where alerts go (the URL comes from `url_env`, or `url` for a webhook)."""

    name: str
    index: int
    url_env: str | None = None
    url: str | None = None
    type: str | None = None  # "apprise" or "webhook"; None: an apprise URL, else a plain http(s) webhook
    secret_env: str | None = None  # signs a webhook's body (HMAC-SHA256)
    queries: tuple[str, ...] | None = None  # None: every query; (): none (alerts only)
    mode: str = "instant"
    min_interval: timedelta = timedelta(0)
    alerts: bool = False
    alert_after: int = 3  # failed runs in a row before a source's alert (fetching.health.FAILING_AFTER)
    max_messages: int = 5
    enabled: bool = True

    @property
    def where(self) -> str:
        return f'[[notify]] #{self.index} ("{self.name}")'


NOTIFY_OPTIONS: dict[str, Option] = {
    "name": opt(str, required=True),
    "url_env": opt(str, help="the environment variable holding the apprise URL or webhook URL"),
    "url": opt(str, help='a webhook\'s URL (type = "webhook"), when it holds no secret'),
    "type": opt(str, help='"webhook" for our signed JSON; default: from the URL'),
    "secret_env": opt(str, help="the environment variable holding the webhook's signing secret"),
    "queries": opt(list, help="only mentions of these queries (default: every query)"),
    "mode": opt(str, default=_default(NotifySpec, "mode")),
    "min_interval": opt(str, help="at most one message this often (10m, 1h); what comes faster waits"),
    "alerts": opt(bool, default=_default(NotifySpec, "alerts")),
    "alert_after": opt(int, default=_default(NotifySpec, "alert_after")),
    "max_messages": opt(int, default=_default(NotifySpec, "max_messages")),
    "enabled": opt(bool, default=_default(NotifySpec, "enabled")),
}


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    settings: Settings
    queries: tuple[QuerySpec, ...]
    sources: tuple[SourceSpec, ...]
    email: EmailSpec | None = None
    notify: tuple[NotifySpec, ...] = ()

    def source(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise ConfigError(
            f"{self.path}: no source named {name!r}{did_you_mean(name, [s.name for s in self.sources])}"
        )

    def channel(self, name: str) -> NotifySpec:
        for spec in self.notify:
            if spec.name == name:
                return spec
        names = [c.name for c in self.notify]
        if not names:
            raise ConfigError(
                f"{self.path}: no [[notify]] tables: add one to say where alerts go (see README)"
            )
        raise ConfigError(f"{self.path}: no [[notify]] channel named {name!r}{did_you_mean(name, names)}")


def require_env(name: str, where: str, purpose: str) -> str:
    """The value of environment variable `name`; a ConfigError saying what it is for when unset."""
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{where}: environment variable {name} is not set ({purpose})")
    remember(value)  # masked in every message from now on
    return value
