"""`mentionscan inbox` as a command: its help, without a terminal, and a database it cannot read."""

from __future__ import annotations

import pytest

from mentionscan.inbox.keys import KEYS
from tests.conftest import Cli
from tests.inbox.tools import inbox, write_database


def test_help_names_the_keys(cli: Cli) -> None:
    result = cli("inbox", "--help")
    assert result.exit_code == 0
    assert "j/k move, t todo, c contacted" in result.stdout
    assert "--status" in result.stdout and "--query" in result.stdout  # the filters of `list`


def test_without_a_terminal_it_says_what_to_use(cli: Cli, tmp_path) -> None:
    config = write_database(tmp_path)
    result = cli("inbox", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr == ("Error: inbox needs a terminal; `mentionscan list` prints the same mentions\n")


@pytest.mark.asyncio
async def test_a_database_it_cannot_read_ends_it_with_the_error(tmp_path) -> None:
    config = write_database(tmp_path)
    (tmp_path / "mentions.json").write_text("{not json")
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(2)
    assert app.error is not None and "mentions.json" in str(app.error)
    assert app.return_code == int(app.error.exit_code)


def test_every_key_has_its_action() -> None:
    from mentionscan.inbox.app import Inbox

    for key in KEYS:
        name = key.action.split("(")[0]
        assert callable(getattr(Inbox, f"action_{name}", None)), key


def test_the_footer_names_keys_of_the_table() -> None:
    from mentionscan.inbox.keys import FOOTER

    assert FOOTER.issubset(key.label for key in KEYS)
