"""`mentionscan inbox` as a command: its help, without a terminal, and a database it cannot read."""

from __future__ import annotations

import pytest

from mentionscan.inbox.detailview import MentionDetail
from mentionscan.inbox.keys import KEYS
from tests.conftest import Cli
from tests.inbox.tools import inbox, settle, write_database


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


@pytest.mark.asyncio
async def test_the_first_frame_drawn_already_shows_the_list(tmp_path) -> None:
    # The first page is read while Textual is imported and starts, as `mentionscan inbox` does:
    # the first frame the terminal gets holds the mentions, never "Loading…" (a frame drawn for
    # nothing, which at 10,000 mentions only slowed the reading down).
    config = write_database(tmp_path)
    app = inbox(config)
    frames: list[str] = []
    display = app._display

    def paint(screen, update):  # what the terminal is sent next
        if update is not None:
            frames.append(app.shown.plain or str(app.query_one(MentionDetail).text))
        display(screen, update)

    app._display = paint
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
    assert frames and "Acme broke my build" in frames[0], frames[:1]
    assert app.loaded.is_set() and app.error is None


@pytest.mark.asyncio
async def test_the_collector_is_off_only_until_the_list_is_shown(tmp_path) -> None:
    import gc

    config = write_database(tmp_path)
    app = inbox(config)
    assert not gc.isenabled()  # from the command on: start-up makes little garbage and much to walk
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert gc.isenabled()
    (tmp_path / "mentions.json").write_bytes(b"")
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert app.error is not None and gc.isenabled()  # no list: on again when it ends


@pytest.mark.asyncio
async def test_a_database_it_cannot_read_ends_it_before_the_first_frame(tmp_path) -> None:
    config = write_database(tmp_path)
    (tmp_path / "mentions.json").write_bytes(b"")
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert "the file is empty" in str(app.error)
    assert app.return_code == int(app.error.exit_code) != 0


def test_every_key_has_its_action() -> None:
    from mentionscan.inbox.app import Inbox

    for key in KEYS:
        name = key.action.split("(")[0]
        assert callable(getattr(Inbox, f"action_{name}", None)), key


def test_the_footer_names_keys_of_the_table() -> None:
    from mentionscan.inbox.keys import FOOTER

    assert FOOTER.issubset(key.label for key in KEYS)
