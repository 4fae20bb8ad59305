"""The README's inbox section: its key table is the app's, and its screenshot is the app's screen.

After a deliberate change of the screen, write the screenshot again:
`python -m tests.inbox.test_readme` (then look at docs/inbox.svg before committing it).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from mentionscan.inbox.keys import table
from tests.conftest import ROOT
from tests.inbox.tools import inbox, settle, write_database

SCREENSHOT = ROOT / "docs" / "inbox.svg"


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section:inbox -->", 1)[1].split("<!-- /section:inbox -->", 1)[0]


def test_the_key_table_is_the_apps() -> None:
    rows = re.findall(r"^\| `(.+?)` \| (.+?) \|$", readme_section(), re.MULTILINE)
    assert [(keys.replace("` `", "/"), what) for keys, what in rows] == table()


def test_the_screenshot_is_there_and_is_textuals() -> None:
    assert "docs/inbox.svg" in readme_section()
    svg = SCREENSHOT.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "mentionscan&#160;inbox" in svg


async def write_screenshot(folder: Path) -> None:
    app = inbox(write_database(folder))
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot, app)
        app.save_screenshot(SCREENSHOT.name, path=str(SCREENSHOT.parent))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        asyncio.run(write_screenshot(Path(name)))
    print(f"wrote {SCREENSHOT}")
