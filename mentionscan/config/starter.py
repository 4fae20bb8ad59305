"""The starter config `mentionscan init` writes."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from mentionscan.config.load import default_config_path
from mentionscan.errors import ConfigError, MentionscanError


def starter_text() -> str:
    return files("mentionscan").joinpath("data/config.example.toml").read_text(encoding="utf-8")


def write_starter_config(path: Path | None = None) -> Path:
    """Write the starter config to `path` (or the default place); refuse to replace a file."""
    target = (path or default_config_path()).expanduser()
    if target.is_dir():
        target = target / "config.toml"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: an existing config is never touched, even if it appears between check and write.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{target} already exists; it was left as it is") from None
    except OSError as exc:
        raise MentionscanError(f"cannot write {target}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(starter_text())
    return target
