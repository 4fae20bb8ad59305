"""Reading and checking the TOML config: every error names the file, the table and the key."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mentionscan.config.model import (
    EMAIL_OPTIONS,
    ENV_CONFIG,
    ENV_DB,
    ENV_HOME,
    NAME_PATTERN,
    NOTIFY_MODES,
    NOTIFY_OPTIONS,
    NOTIFY_TYPES,
    QUERY_OPTIONS,
    SETTINGS_OPTIONS,
    SOURCE_COMMON_OPTIONS,
    Config,
    EmailSpec,
    NotifySpec,
    Option,
    QuerySpec,
    Settings,
    SourceSpec,
    opt,
)
from mentionscan.errors import ConfigError, QuerySyntaxError, did_you_mean
from mentionscan.mailaddr import configured_address
from mentionscan.store import is_postgres
from mentionscan.urls import is_http_url


def home() -> Path | None:
    value = os.environ.get(ENV_HOME)
    return Path(value).expanduser() if value else None


def default_config_path() -> Path:
    """`$MENTIONSCAN_CONFIG`, else `$MENTIONSCAN_HOME/config.toml`, else the user config dir."""
    if value := os.environ.get(ENV_CONFIG):
        return Path(value).expanduser()
    if base := home():
        return base / "config.toml"
    from platformdirs import user_config_path

    return user_config_path("mentionscan") / "config.toml"


def default_database_path() -> Path:
    if base := home():
        return base / "mentions.json"
    from platformdirs import user_data_path

    return user_data_path("mentionscan") / "mentions.json"


def resolve_database(location: str, relative_to: Path) -> str:
    """A database location with `~` expanded and relative paths taken from the config's folder."""
    if is_postgres(location):
        return location  # a server's URL: nothing relative in it
    if location.startswith("sqlite:///"):
        path = Path(location.removeprefix("sqlite:///")).expanduser()
        if not path.is_absolute():
            path = relative_to / path
        return f"sqlite:///{path}"
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else relative_to / path)


def database_location(config: Config | None, override: str | None = None) -> str:
    """`--db`, else `$MENTIONSCAN_DB`, else the config's `database`, else the user data dir."""
    if override:
        return resolve_database(override, Path.cwd())
    if value := os.environ.get(ENV_DB):
        return resolve_database(value, Path.cwd())
    if config is not None:
        return config.settings.database
    return str(default_database_path())


def _type_name(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true or false", list: "a list"}
    names[dict] = "a table"
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def check_table(table: Any, options: Mapping[str, Option], where: str) -> dict[str, Any]:
    """The table's values with defaults filled in; a ConfigError for any unknown, missing or ill-typed key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    for key in table:
        if key not in options:
            raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, list(options))}")
    values: dict[str, Any] = {}
    for key, option in options.items():
        if key not in table:
            if option.required:
                raise ConfigError(f"{where}: missing key {key!r}")
            values[key] = option.default
            continue
        value = table[key]
        # bool is an int in Python; a number key must not take `true`.
        wrong_bool = isinstance(value, bool) and bool not in option.types
        if wrong_bool or not isinstance(value, option.types):
            raise ConfigError(f"{where}: {key!r} must be {_type_name(option.types)}, not {value!r}")
        values[key] = value
    return values


def load_config(path: str | Path | None = None) -> Config:
    """Read and check the config at `path` (or the default location)."""
    config_path = Path(path).expanduser() if path else default_config_path()
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        hint = "" if path else "; create one with `mentionscan init`"
        raise ConfigError(f"config file {config_path} does not exist{hint}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {config_path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise ConfigError(f"{config_path}: arrays or inline tables nested too deeply to read") from None
    return parse_config(data, config_path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Check an already-decoded config; `path` is used in messages and for relative paths."""
    top = {
        "settings": opt(dict),
        "queries": opt(list),
        "sources": opt(list),
        "email": opt(dict),
        "notify": opt(list),
    }
    check_table(data, top, str(path))
    folder = path.parent.resolve()
    settings = _settings(data.get("settings") or {}, path, folder)
    sources = tuple(_source(t, i, path) for i, t in enumerate(data.get("sources") or [], start=1))
    _unique([s.name for s in sources], "[[sources]]", path)
    source_names = [s.name for s in sources]
    queries = tuple(
        _query(t, i, path, source_names) for i, t in enumerate(data.get("queries") or [], start=1)
    )
    _unique([q.name for q in queries], "[[queries]]", path)
    email = _email(data["email"], path) if "email" in data else None
    query_names = [q.name for q in queries]
    notify = tuple(_notify(t, i, path, query_names) for i, t in enumerate(data.get("notify") or [], start=1))
    _unique([n.name for n in notify], "[[notify]]", path)
    if settings.notify and not notify:
        raise ConfigError(
            f"{path}: [settings]: 'notify' is true, but there is no [[notify]] table to send to"
        )
    return Config(path=path, settings=settings, queries=queries, sources=sources, email=email, notify=notify)


def _unique(names: list[str], what: str, path: Path) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{path}: {what}: the name {name!r} is used twice")
        seen.add(name)


def _positive(value: float, key: str, where: str, *, zero: bool = False) -> None:
    if value < 0 or (value == 0 and not zero):
        raise ConfigError(f"{where}: {key!r} must be {'0 or more' if zero else 'more than 0'}, not {value!r}")


def _settings(table: Any, path: Path, folder: Path) -> Settings:
    where = f"{path}: [settings]"
    values = check_table(table, SETTINGS_OPTIONS, where)
    for key in ("timeout", "deadline", "concurrency", "per_host", "max_response_mb", "lock_timeout"):
        _positive(values[key], key, where)
    _positive(values["max_age_days"], "max_age_days", where, zero=True)
    if values["concurrency"] > 256:
        raise ConfigError(f"{where}: 'concurrency' must be 256 or less, not {values['concurrency']}")
    if not values["user_agent"].strip():
        raise ConfigError(f"{where}: 'user_agent' must not be empty")
    database = values["database"]
    values["database"] = resolve_database(database, folder) if database else str(default_database_path())
    if values["reply_template"]:
        values["reply_template"] = resolve_database(values["reply_template"], folder)
    if values["reply_from"] is not None and configured_address(values["reply_from"]) is None:
        raise ConfigError(
            f"{where}: 'reply_from' must be one email address, like \"Jane Doe <jane@example.com>\", "
            f"not {values['reply_from']!r}"
        )
    return Settings(**values)


def _named_table(
    table: Any, kind: str, index: int, path: Path, options: Mapping[str, Option]
) -> tuple[str, dict[str, Any]]:
    """Where a `[[kind]]` table is, for messages (`[[queries]] #2 ("acme")`); its values, name checked."""
    name = table.get("name") if isinstance(table, dict) else None
    where = f"{path}: [[{kind}]] #{index}" + (f' ("{name}")' if isinstance(name, str) else "")
    values = check_table(table, options, where)
    if not NAME_PATTERN.match(values["name"]):
        raise ConfigError(f"{where}: 'name' may hold letters, digits, '.', '_' and '-' only")
    return where, values


def _query(table: Any, index: int, path: Path, source_names: list[str]) -> QuerySpec:
    where, values = _named_table(table, "queries", index, path, QUERY_OPTIONS)
    sources = values["sources"]
    if sources is not None:
        for source in sources:
            if not isinstance(source, str) or source not in source_names:
                suggestion = did_you_mean(str(source), source_names)
                raise ConfigError(f"{where}: 'sources' names no source {source!r}{suggestion}")
        sources = tuple(sources)
    try:
        return QuerySpec(name=values["name"], match=values["match"], sources=sources)
    except QuerySyntaxError as exc:
        raise ConfigError(f"{where}: 'match': {exc}") from None


def _source(table: Any, index: int, path: Path) -> SourceSpec:
    from mentionscan.sources import SOURCE_TYPES

    name = table.get("name") if isinstance(table, dict) else None
    where = f"{path}: [[sources]] #{index}" + (f' ("{name}")' if isinstance(name, str) else "")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    kind = table.get("type")
    if not isinstance(kind, str):
        raise ConfigError(f"{where}: missing key 'type' (one of: {', '.join(sorted(SOURCE_TYPES))})")
    if kind not in SOURCE_TYPES:
        near = did_you_mean(kind, list(SOURCE_TYPES))
        if kind.lower() in ("rss", "atom", "rdf", "json", "jsonfeed", "json_feed", "xml"):
            near = ' (RSS, Atom and JSON Feed are all type = "feed")'
        raise ConfigError(
            f"{where}: unknown type {kind!r}{near}; the types are {', '.join(SOURCE_TYPES)} "
            "(`mentionscan sources` says what each asks)"
        )
    source_class = SOURCE_TYPES[kind]
    allowed = {**SOURCE_COMMON_OPTIONS, **source_class.options}
    values = check_table(table, allowed, where)
    if not NAME_PATTERN.match(values["name"]):
        raise ConfigError(f"{where}: 'name' may hold letters, digits, '.', '_' and '-' only")
    for key, value in values.items():
        if allowed[key].url and value is not None and not is_http_url(value):
            raise ConfigError(f"{where}: {key!r} must be an http:// or https:// URL, not {value!r}")
    if values["rate_per_minute"] is not None:
        _positive(values["rate_per_minute"], "rate_per_minute", where)
    options = {k: v for k, v in values.items() if k in source_class.options}
    spec = SourceSpec(
        name=values["name"],
        type=kind,
        index=index,
        options=options,
        enabled=values["enabled"],
        base_url=values["base_url"],
        rate_per_minute=values["rate_per_minute"],
        file=str(path),
    )
    for key, option in source_class.options.items():
        if bounds := option.outside(spec.get(key)):
            raise ConfigError(f"{where}: {key!r} must be {bounds}, not {spec.get(key)}")
    source_class.check(spec, where)
    return spec


def _notify(table: Any, index: int, path: Path, query_names: list[str]) -> NotifySpec:
    from mentionscan.timeutil import parse_duration

    where, values = _named_table(table, "notify", index, path, NOTIFY_OPTIONS)
    kind, url = values["type"], values["url"]
    for key, allowed in (("type", NOTIFY_TYPES), ("mode", NOTIFY_MODES)):
        if values[key] is not None and values[key] not in allowed:
            choices = " or ".join(f'"{a}"' for a in allowed)
            hint = did_you_mean(values[key], allowed)
            raise ConfigError(f"{where}: {key!r} must be {choices}, not {values[key]!r}{hint}")
    _variable_names(values, where)
    if url is None and values["url_env"] is None:
        raise ConfigError(f"{where}: missing key 'url_env' (the environment variable holding the URL)")
    if url is not None and values["url_env"] is not None:
        raise ConfigError(f"{where}: 'url' and 'url_env' both give the URL: keep one")
    if url is not None and kind != "webhook":
        # An apprise URL carries the service's token: it belongs in the environment.
        raise ConfigError(
            f"{where}: 'url' is for type = \"webhook\" only; put a service's URL in an environment "
            "variable and name it in 'url_env'"
        )
    if url is not None and not is_http_url(url):
        raise ConfigError(f"{where}: 'url' must be an http:// or https:// URL")
    if values["secret_env"] and kind == "apprise":
        raise ConfigError(f"{where}: 'secret_env' signs our own webhook; apprise services have no use for it")
    queries = values["queries"]
    if queries is not None:
        for query in queries:
            if not isinstance(query, str) or query not in query_names:
                raise ConfigError(
                    f"{where}: 'queries' names no query {query!r}{did_you_mean(str(query), query_names)}"
                )
        queries = tuple(queries)
    if queries == () and not values["alerts"]:
        raise ConfigError(f"{where}: 'queries' is [] and 'alerts' is false: the channel would get nothing")
    for key in ("alert_after", "max_messages"):
        if values[key] < 1:
            raise ConfigError(f"{where}: {key!r} must be 1 or more, not {values[key]!r}")
    timing: dict[str, Any] = {}
    if values["min_interval"] is not None:
        try:
            timing["min_interval"] = parse_duration(values["min_interval"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: 'min_interval': {exc}") from None
    given = ("name", "url_env", "secret_env", "mode", "alerts", "alert_after", "max_messages", "enabled")
    return NotifySpec(
        index=index, url=url, type=kind, queries=queries, **{k: values[k] for k in given}, **timing
    )


def _is_variable(name: str) -> bool:
    return name.isascii() and name.isidentifier()  # [A-Za-z_][A-Za-z0-9_]*, what a shell exports


def _variable_names(values: Mapping[str, Any], where: str) -> None:
    """`url_env` and `secret_env` name variables; a URL or secret written there is never echoed."""
    example = "".join(c if c.isalnum() else "_" for c in values["name"].upper()).strip("_") or "CHANNEL"
    url_env, secret_env = values["url_env"], values["secret_env"]
    if url_env is not None and not _is_variable(url_env):
        if "://" in url_env:
            raise ConfigError(
                f"{where}: 'url_env' holds a URL: it names the environment variable that holds the URL "
                f"(export {example}_URL='...' and write url_env = \"{example}_URL\")"
            )
        raise ConfigError(
            f"{where}: 'url_env' must name an environment variable "
            f'(letters, digits and _, such as "{example}_URL")'
        )
    if secret_env is not None and not _is_variable(secret_env):
        raise ConfigError(
            f"{where}: 'secret_env' must name the environment variable that holds the secret "
            f'(letters, digits and _, such as "{example}_SECRET"), not the secret itself'
        )


def _email(table: Any, path: Path) -> EmailSpec:
    where = f"{path}: [email]"
    values = check_table(table, EMAIL_OPTIONS, where)
    to = values["to"]
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise ConfigError(f"{where}: 'to' must be an email address or a list of them")
    if "@" not in values["from"]:
        raise ConfigError(f"{where}: 'from' must be an email address, not {values['from']!r}")
    if values["security"] not in ("starttls", "ssl", "none"):
        raise ConfigError(
            f'{where}: \'security\' must be "starttls", "ssl" or "none", not {values["security"]!r}'
        )
    if values["password_env"] and not values["username"]:
        raise ConfigError(f"{where}: 'password_env' needs 'username' too")
    if values["sendmail"] is not None:
        _sendmail(values["sendmail"], table, where)
    return EmailSpec(
        to=recipients,
        sender=values["from"],
        smtp_host=values["smtp_host"],
        smtp_port=values["smtp_port"],
        security=values["security"],
        username=values["username"],
        password_env=values["password_env"],
        verify_certificate=values["verify_certificate"],
        timeout=values["timeout"],
        sendmail=values["sendmail"],
    )


SMTP_KEYS = ("smtp_host", "smtp_port", "security", "username", "password_env", "verify_certificate")


def _sendmail(command: str, table: dict[str, Any], where: str) -> None:
    """`sendmail` is a command line that can be split, and the only way of sending the table names."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"{where}: 'sendmail' is not a command line ({exc}): {command!r}") from None
    if not words:
        raise ConfigError(f"{where}: 'sendmail' is empty: give the program, like \"/usr/sbin/sendmail -t\"")
    if smtp := [key for key in SMTP_KEYS if key in table]:
        raise ConfigError(
            f"{where}: 'sendmail' and {smtp[0]!r} are two ways of sending: keep one "
            "(sendmail hands the message to a local program; the smtp_ keys talk to a server)"
        )
