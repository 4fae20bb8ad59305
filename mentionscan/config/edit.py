"""Changing the config file a person wrote (`mentionscan add`): their comments and layout stay.

tomlkit reads the file into a document that keeps every comment, blank line and key order,
so that adding a `[[sources]]` table changes nothing else. The new text is checked as a config
before it is written; the old file is kept beside it as `config.toml.bak`; both are written
atomically.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from mentionscan.atomic import write_atomically
from mentionscan.config.load import parse_config
from mentionscan.config.model import NAME_PATTERN, Config
from mentionscan.errors import ConfigError, reason
from mentionscan.urls import host_of


def source_name(url: str, taken: set[str]) -> str:
    """A name for a feed at `url` that no source has: its host (`blog.example.com`), then `-2`, `-3`."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", host_of(url)).strip("-.") or "feed"
    if not NAME_PATTERN.match(base):
        base = f"feed-{base}"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name


def add_source(path: Path, table: dict[str, Any]) -> Config:
    """Append `table` as a `[[sources]]` table to the config at `path`; the config as it is now.

    Raises ConfigError (nothing written) when the result would not be a valid config.
    """
    import tomlkit

    try:
        old = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {reason(error)}") from None
    try:
        document = tomlkit.parse(old.decode("utf-8"))
    except (UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML: {exc}") from None
    entry = tomlkit.table()
    for key, value in table.items():
        entry[key] = value
    entry.add(tomlkit.nl())  # a blank line before whatever follows it
    if "sources" in document:
        document["sources"].append(entry)
    else:
        sources = tomlkit.aot()
        sources.append(entry)
        document.append("sources", sources)
    text = tomlkit.dumps(document)
    config = parse_config(tomllib.loads(text), path)  # the same checks as every command's
    backup = path.with_name(path.name + ".bak")
    write_atomically(backup, [old], private=True, error=ConfigError, what=f"the backup {backup}")
    write_atomically(path, [text.encode("utf-8")], error=ConfigError)
    return config
