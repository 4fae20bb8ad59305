"""`f` finds the author (the network off the screen's thread) and `o` opens the link in the browser."""

from __future__ import annotations

import sys
import time
import webbrowser

import pytest
from werkzeug import Response

from tests.followuptools import local_base
from tests.inbox.tools import inbox, mention, screen_text, settle, stored, write_database

pytestmark = pytest.mark.asyncio


async def test_f_finds_the_authors_email_and_stores_it(tmp_path, httpserver):
    post = mention(7, "An Acme question", hours=1, author_email=None, url=local_base(httpserver) + "/post")
    config = write_database(tmp_path, [post])

    def slow_page(request):  # a second, as a far server takes: the screen must not wait for it
        time.sleep(1)
        page = '<html><head><meta name="author" content="writer@example.org"></head></html>'
        return Response(page, content_type="text/html")

    httpserver.expect_request("/post").respond_with_handler(slow_page)
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f")
        await pilot.press("j")  # the screen answers meanwhile
        for _ in range(250):  # the spinner, within the server's second (a loaded machine is slower)
            if "looking for the author" in str(app.query_one("#status").render()):
                break
            await pilot.pause(0.02)
        assert "looking for the author" in str(app.query_one("#status").render())
        assert stored(config, post.id).author_email is None  # still looking
        await settle(pilot, app, lambda: stored(config, post.id).author_email is not None)
        await settle(pilot, app, lambda: "Author's email" in screen_text(app))
        assert "Author's email: writer@example.org (1 request)" in screen_text(app)
        assert "writer@example.org" in app.shown.plain
    assert stored(config, post.id).contacts[0]["value"] == "writer@example.org"


async def test_enter_and_o_open_the_link_in_the_browser(tmp_path, monkeypatch):
    config = write_database(tmp_path)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(
        f"import sys\nwith open({str(opened)!r}, 'a') as f:\n    f.write(sys.argv[1] + '\\n')\n"
    )
    monkeypatch.setenv("BROWSER", f"{sys.executable} {browser} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read $BROWSER again
    monkeypatch.setattr(webbrowser, "_browsers", {})
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter", "j", "o")
        await settle(pilot, app, lambda: opened.exists() and len(opened.read_text().splitlines()) == 2)
    assert opened.read_text().splitlines() == [
        "https://blog.example.org/posts/1",
        "https://blog.example.org/posts/2",
    ]
