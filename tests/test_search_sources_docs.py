"""Every registered source type is documented: a README section and row, a config.example.toml
example, and each example parses with every key made live and shows every key the type takes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mentionscan.config.load import parse_config
from mentionscan.sources import SOURCE_TYPES
from tests.conftest import ROOT

QUERY = '[[queries]]\nname = "acme"\nmatch = "acme"\n\n'
# A `[[sources]]` line or a `key = value` line, live or commented out.
_TOML_LINE = re.compile(r"^(# ?)?(\[\[sources\]\]|\w+ = )")


def uncommented(block: str) -> str:
    """A TOML block with every `# key = value` line made live (comments after values stay)."""
    return "\n".join(re.sub(r"^# ?(?=[\w\[])", "", line) for line in block.splitlines())


def example_block(kind: str) -> str:
    """The `[[sources]]` example of `kind` in config.example.toml (commented out, or live for feed)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if re.search(rf'^(# )?type = "{kind}"', block, re.MULTILINE):
            return "\n".join(line for line in block.splitlines() if _TOML_LINE.match(line))
    raise AssertionError(f"no example for {kind} in config.example.toml")


def readme_block(kind: str) -> str:
    """The TOML block under the README's `### \\`kind\\`` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"### `{kind}`\n\n```toml\n(.*?)```", text, re.DOTALL)
    assert match, f"no ### `{kind}` section with a TOML example in README.md"
    return match.group(1)


@pytest.mark.parametrize("kind", SOURCE_TYPES)
@pytest.mark.parametrize("where", ["config.example.toml", "README.md"])
def test_the_documented_example_parses_with_every_key(kind: str, where: str) -> None:
    block = example_block(kind) if where == "config.example.toml" else readme_block(kind)
    text = QUERY + uncommented(block)
    config = parse_config(tomllib.loads(text), Path("example.toml"))
    (source,) = config.sources
    assert source.type == kind
    # every key the type takes is shown (with its default where it has one)
    assert sorted(tomllib.loads(text)["sources"][0]) == sorted({"name", "type", *SOURCE_TYPES[kind].options})


@pytest.mark.parametrize("kind", SOURCE_TYPES)
def test_every_type_has_a_row_in_the_readme_table(kind: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{kind}` \| .+ \| .+ \|$", readme, re.MULTILINE)
