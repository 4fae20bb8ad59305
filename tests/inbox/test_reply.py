"""`R`: the draft of `reply`, edited in $EDITOR, then sent through [email] or kept as .eml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.inbox.tools import MENTIONS, inbox, screen_text, settle, stored, write_database
from tests.mailtools import email_table, fake_sendmail, sendmail_table, smtp_server

pytestmark = pytest.mark.asyncio

WITH_ADDRESS = MENTIONS[0]  # writer1@example.org
NO_ADDRESS = MENTIONS[1]

EDITOR = """\
import sys
from pathlib import Path
path = Path(sys.argv[1])
Path({log!r}).write_text(path.read_text())
path.write_text({change})
"""


def editor(folder: Path, change: str = "path.read_text().replace('[your name]', 'Sam at Acme')") -> Path:
    """A fake $EDITOR: keeps what it was given (in `seen.eml`) and saves the draft changed."""
    script = folder / "editor.py"
    script.write_text(EDITOR.format(log=str(folder / "seen.eml"), change=change))
    return script


@pytest.fixture
def use_editor(tmp_path, monkeypatch):
    def use(change: str | None = None) -> Path:
        script = editor(tmp_path, change) if change else editor(tmp_path)
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
        return tmp_path / "seen.eml"

    return use


async def reply(app, pilot, *keys: str) -> None:
    await settle(pilot, app)
    await pilot.press("R")
    await settle(pilot, app, lambda: len(app.screen_stack) > 1)
    await pilot.press(*keys)


async def test_a_reply_kept_as_eml_is_logged_and_marks_contacted(tmp_path, use_editor):
    config = write_database(tmp_path)
    seen = use_editor()
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await reply(app, pilot, "k")
        await settle(pilot, app, lambda: stored(config, WITH_ADDRESS.id).status == "contacted")
        said = screen_text(app)
    draft = seen.read_text()
    assert "To: Writer 1 <writer1@example.org>" in draft  # the same template as `reply`
    assert "Subject: Re: Acme broke my build" in draft and "Hi Writer 1," in draft
    kept = list((tmp_path / "replies").glob("*.eml"))
    assert len(kept) == 1 and kept[0].name.startswith(WITH_ADDRESS.id[:7])
    assert "Sam at Acme" in kept[0].read_text()
    mention = stored(config, WITH_ADDRESS.id)
    assert mention.timeline[-2].kind == "draft" and "Sam at Acme" in mention.timeline[-2].text
    assert f"kept in {kept[0]}" in mention.timeline[-2].text
    assert f"Reply kept in {kept[0]}; marked {WITH_ADDRESS.id[:7]} contacted." in said


async def test_a_reply_sent_through_smtp_after_the_confirmation(tmp_path, use_editor):
    use_editor()
    with smtp_server() as server:
        config = write_database(tmp_path, email=email_table(server))
        app = inbox(config)
        async with app.run_test(size=(80, 24)) as pilot:
            await reply(app, pilot)
            confirm = app.screen_stack[-1]
            assert confirm.to == "Writer 1 <writer1@example.org>"
            assert confirm.subject == "Re: Acme broke my build"
            assert server.received == []  # nothing leaves before the confirmation
            await pilot.press("y")
            await settle(pilot, app, lambda: stored(config, WITH_ADDRESS.id).status == "contacted")
        received = server.only()
    assert received.rcpt_tos == ["writer1@example.org"]  # the author, not the digest's readers
    assert received.message["From"] == "Me <me@acme.example>"
    assert "Sam at Acme" in received.message.get_content()
    assert (
        "sent to writer1@example.org through 127.0.0.1" in stored(config, WITH_ADDRESS.id).timeline[-2].text
    )
    assert not (tmp_path / "replies").exists()


async def test_a_reply_sent_through_the_sendmail_program(tmp_path, use_editor):
    use_editor()
    program = fake_sendmail(tmp_path)
    config = write_database(tmp_path, email=sendmail_table(program.program))
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await reply(app, pilot, "y")
        await settle(pilot, app, lambda: stored(config, WITH_ADDRESS.id).status == "contacted")
    (sent,) = program.received
    assert sent["To"] == "Writer 1 <writer1@example.org>"
    assert "Sam at Acme" in sent.get_content()


async def test_a_failed_send_keeps_the_reply_and_marks_nothing(tmp_path, use_editor):
    use_editor()
    config = write_database(tmp_path, email=email_table(None))  # nothing listens on its port
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await reply(app, pilot, "y")
        await settle(pilot, app, lambda: "Error: cannot send the reply" in screen_text(app))
        said = screen_text(app)
    (kept,) = (tmp_path / "replies").glob("*.eml")
    assert "Sam at Acme" in kept.read_text()
    assert f"the reply is kept in {kept} (not marked contacted)" in said
    assert stored(config, WITH_ADDRESS.id).status == "new"


async def test_without_an_address_or_email_table_it_can_only_be_kept(tmp_path, use_editor):
    use_editor()
    config = write_database(tmp_path)
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("j")
        await reply(app, pilot, "y")  # refused: there is nothing to send with
        await pilot.pause(0.3)
        assert app.screen_stack[-1].why_not == "no [email] table in the config"
        await pilot.press("escape")
        await settle(pilot, app)
        assert "Reply cancelled: nothing sent or saved." in screen_text(app)
    assert stored(config, NO_ADDRESS.id).status == "todo"
    assert not (tmp_path / "replies").exists()


@pytest.mark.parametrize(
    ("change", "said"),
    [("path.read_text()", "the draft was not changed"), ("''", "the draft was emptied")],
)
async def test_an_unchanged_or_emptied_draft_is_not_sent(tmp_path, use_editor, change, said):
    use_editor(change)
    config = write_database(tmp_path)
    app = inbox(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("R")
        await settle(pilot, app, lambda: said in screen_text(app))
    assert stored(config, WITH_ADDRESS.id).status == "new"
