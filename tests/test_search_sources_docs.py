"""The documented examples of the search source types parse, every commented key included."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mentionscan.config.load import parse_config
from tests.conftest import ROOT

TYPES = ("hackernews", "reddit", "google_news", "bing_news", "stackexchange", "github")
QUERY = '[[queries]]\nname = "acme"\nmatch = "acme"\n\n'


def uncommented(block: str) -> str:
    """A TOML block with every `# key = value` line made live (comments after values stay)."""
    return "\n".join(re.sub(r"^# ?(?=[\w\[])", "", line) for line in block.splitlines())


def example_block(kind: str) -> str:
    """The commented `[[sources]]` example of `kind` in config.example.toml."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if f'# type = "{kind}"' in block:
            return "\n".join(line for line in block.splitlines() if line.startswith("# [[") or "=" in line)
    raise AssertionError(f"no example for {kind} in config.example.toml")


def readme_block(kind: str) -> str:
    """The TOML block under the README's `### \\`kind\\`` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"### `{kind}`\n\n```toml\n(.*?)```", text, re.DOTALL)
    assert match, f"no ### `{kind}` section with a TOML example in README.md"
    return match.group(1)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("where", ["config.example.toml", "README.md"])
def test_the_documented_example_parses_with_every_key(kind: str, where: str) -> None:
    block = example_block(kind) if where == "config.example.toml" else readme_block(kind)
    text = QUERY + uncommented(block)
    config = parse_config(tomllib.loads(text), Path("example.toml"))
    (source,) = config.sources
    assert source.type == kind


@pytest.mark.parametrize("kind", TYPES)
def test_every_search_type_has_a_row_in_the_readme_table(kind: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{kind}` \| .+ \| .+ \|$", readme, re.MULTILINE)
