from pathlib import Path

import pytest

from mentionscan.config.load import load_config
from mentionscan.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[settings]
database = "data/mentions.json"
timeout = 5

[[queries]]
name = "acme"
match = 'acme OR "acme widgets"'
sources = ["blog"]

[[sources]]
name = "blog"
type = "feed"
url = "https://example.com/feed.xml"
"""


def test_a_good_config_loads_with_defaults_and_relative_database(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.settings.timeout == 5
    assert config.settings.concurrency == 64
    assert config.settings.database == str(tmp_path.resolve() / "data" / "mentions.json")
    assert config.queries[0].sources == ("blog",)
    assert config.sources[0].get("url") == "https://example.com/feed.xml"


def test_the_example_config_and_the_starter_config_are_the_same_and_parse() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    starter = (ROOT / "mentionscan" / "data" / "config.example.toml").read_text(encoding="utf-8")
    assert example == starter
    config = load_config(ROOT / "config.example.toml")
    # Its sources are examples, commented out: a fetch before editing asks nothing of anyone.
    assert config.queries and not config.sources
    assert '# type = "feed"' in example


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("url =", "urll ="),
            "[[sources]] #1 (\"blog\"): unknown key 'urll' (did you mean 'url'?)",
        ),
        (
            GOOD.replace("timeout = 5", "timout = 5"),
            "[settings]: unknown key 'timout' (did you mean 'timeout'?)",
        ),
        (GOOD.replace('type = "feed"', 'type = "fed"'), "unknown type 'fed' (did you mean 'feed'?)"),
        (GOOD.replace("timeout = 5", 'timeout = "5"'), "[settings]: 'timeout' must be a number, not '5'"),
        (GOOD.replace("timeout = 5", "timeout = true"), "'timeout' must be a number, not True"),
        (GOOD.replace("timeout = 5", "timeout = 0"), "'timeout' must be more than 0"),
        (
            GOOD.replace('sources = ["blog"]', 'sources = ["blgo"]'),
            "'sources' names no source 'blgo' (did you mean 'blog'?)",
        ),
        (
            GOOD.replace("https://example.com/feed.xml", "file:///etc/passwd"),
            "'url' must be an http:// or https:// URL",
        ),
        (
            GOOD.replace("match = 'acme OR \"acme widgets\"'", "match = '\"acme'"),
            "[[queries]] #1 (\"acme\"): 'match':",
        ),
        (
            GOOD.replace('name = "acme"', 'nme = "acme"'),
            "[[queries]] #1: unknown key 'nme' (did you mean 'name'?)",
        ),
        (
            GOOD + '\n[[sources]]\nname = "blog"\ntype = "feed"\nurl = "https://example.com/2"\n',
            "the name 'blog' is used twice",
        ),
        (GOOD.replace("[settings]", "[setings]"), "unknown key 'setings' (did you mean 'settings'?)"),
        (
            GOOD + '\n[[sources]]\nname = "m"\ntype = "mastodon"\ninstance = "https://m.ex"\nlimit = 41\n',
            "[[sources]] #2 (\"m\"): 'limit' must be 1 to 40, not 41",
        ),
        (
            GOOD + '\n[[sources]]\nname = "l"\ntype = "lobsters"\npages = 0\n',
            "[[sources]] #2 (\"l\"): 'pages' must be 1 or more, not 0",
        ),
        ("[settings\n", "line 1"),
    ],
)
def test_config_errors_name_file_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_query_syntax_errors_quote_the_query_and_point_at_the_position(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("match = 'acme OR \"acme widgets\"'", "match = 'acme OR'"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "'acme OR'" in str(caught.value)
    assert "position" in str(caught.value)


def test_a_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist; create one with `mentionscan init`"):
        load_config(None)
