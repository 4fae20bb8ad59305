"""The main screen as Textual draws it, at 80×24 and 120×40 (the SVGs in __snapshots__/).

After a deliberate change of the screen: `pytest tests/inbox/test_snapshots.py --snapshot-update`,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from tests.followuptools import local_zone
from tests.inbox.tools import inbox, settle, write_database


@pytest.fixture
def config(tmp_path):
    with local_zone("UTC"):  # the dates on the screen are local
        yield write_database(tmp_path)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_main_screen(snap_compare, config, size):
    app = inbox(config)

    async def loaded(pilot):
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=loaded)


def test_the_help_screen(snap_compare, config):
    app = inbox(config)

    async def loaded(pilot):
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
