"""The README documents every command the CLI really has, and every command has help."""

from __future__ import annotations

import re

import pytest
import typer

from mentionscan.cli import app
from tests.conftest import ROOT, Cli


def commands() -> list[str]:
    """Every command of the real app, sub-commands as `db info`."""
    root = typer.main.get_command(app)
    names: list[str] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names += [f"{name} {child}" for child in sub] if sub else [name]
    return sorted(names)


def test_the_registry_is_seen() -> None:
    assert {"fetch", "list", "db info", "db migrate"} <= set(commands())


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_that_says_what_it_does(cli: Cli, command: str) -> None:
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0, result.stderr
    summary = result.stdout.split("Usage:", 1)[1].splitlines()[2].strip()
    assert len(summary) > 20, summary


@pytest.mark.parametrize("command", commands())
def test_every_command_is_in_a_readme_table(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `mentionscan {re.escape(command)}[` ]", readme, re.MULTILINE), command
