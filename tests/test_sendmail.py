"""`digest --send` through a local mail program (`[email] sendmail`): real programs, written by the test.

Each stand-in reads the message on its stdin as `sendmail -t` does; one keeps it and exits 0,
the others fail as real ones do (a full queue, a refused user, a hang).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.mailtools import QUERIES, fake_sendmail, parts, read_store, sendmail_table, write_store
from tests.test_digest import make_mention


def running(pid: int) -> bool:
    """Whether process `pid` is still alive a few seconds on (a zombie is not): a kill takes a moment."""
    for _ in range(100):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return False
        if "State:\tZ" in status:
            return False
        time.sleep(0.05)
    return True


def setup(write_config: Callable[..., Path], table: str) -> tuple[Path, Path]:
    """A config sending through `table`, and its database holding two mentions not yet sent."""
    config = write_config(QUERIES, [], extra=table)
    database = config.parent / "mentions.json"
    write_store(database, [make_mention("a"), make_mention("b", author_email="bo@example.com")])
    return config, database


def test_send_hands_the_message_to_the_program_and_marks_once_it_exits_0(
    write_config: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    sendmail = fake_sendmail(tmp_path)
    config, database = setup(write_config, sendmail_table(sendmail.program))
    result = cli("digest", "--config", str(config), "--send")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (
        result.stderr == f"Digest of 2 mentions sent to founder@example.com through {sendmail.program} -t\n"
    )
    [message] = sendmail.received
    assert sendmail.arguments() == ["-t"]  # the recipients are read from the headers
    assert message["To"] == "Zoë Founder <founder@example.com>"
    assert message["Subject"] == "mentionscan: 2 new mentions (acme 2)"
    text, _ = parts(message)
    assert "Post a about acme" in text and "Post b about acme" in text
    stored = read_store(database)
    assert all(m.digested_at for m in stored.values())
    assert (
        f"sent to founder@example.com through {sendmail.program} -t"
        in stored[make_mention("a").id].timeline[-1].text
    )

    again = cli("digest", "--config", str(config), "--send")
    assert (again.exit_code, again.stderr) == (0, "Nothing new since the last digest: no email.\n")
    assert len(sendmail.received) == 1


def test_a_failing_program_marks_nothing_and_its_complaint_is_the_error_line(
    write_config: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    complaint = "sendmail: warning: inet_protocols: disabled\nsendmail: fatal: queue file write error\n"
    failing = fake_sendmail(tmp_path, "broken-sendmail", code=75, stderr=complaint)
    config, database = setup(write_config, sendmail_table(failing.program))
    result = cli("digest", "--config", str(config), "--send")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: cannot send the digest through {failing.program} -t: it exited with status 75: "
        "sendmail: warning: inet_protocols: disabled sendmail: fatal: queue file write error\n"
    )
    assert all(m.digested_at is None for m in read_store(database).values())

    # Fixed: the next digest carries the same mentions; nothing was lost.
    working = fake_sendmail(tmp_path)
    config.write_text(config.read_text().replace(str(failing.program), str(working.program)))
    fixed = cli("digest", "--config", str(config), "--send", "--quiet")
    assert (fixed.exit_code, fixed.stdout, fixed.stderr) == (0, "", "")
    assert working.received[0]["Subject"] == "mentionscan: 2 new mentions (acme 2)"


@pytest.mark.slow
def test_a_program_that_says_nothing_and_one_that_hangs(
    write_config: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    silent = fake_sendmail(tmp_path, "silent", code=1)
    config, database = setup(write_config, sendmail_table(silent.program))
    result = cli("digest", "--config", str(config), "--send")
    assert result.exit_code == 1
    assert result.stderr.endswith("-t: it exited with status 1 and said nothing\n")

    # A hung mail program whose helper holds its output open: both are stopped after `timeout`.
    hanging = tmp_path / "hanging"
    helper = tmp_path / "helper.pid"
    hanging.write_text(f"#!/bin/sh\ncat >/dev/null\nsleep 300 &\necho $! > {helper}\nsleep 300\n")
    hanging.chmod(0o755)
    config.write_text(
        config.read_text().replace(str(silent.program), str(hanging)).replace("timeout = 10", "timeout = 1")
    )
    # In a process of its own, which must end long before the helper would (300 s).
    hung = subprocess.run(
        [sys.executable, "-m", "mentionscan", "digest", "--config", str(config), "--send"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert not running(int(helper.read_text()))
    assert hung.returncode == 1
    assert hung.stderr.decode() == (
        f"Error: cannot send the digest through {hanging} -t: it did not finish within 1 s\n"
    )
    assert all(m.digested_at is None for m in read_store(database).values())


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("/nonexistent/sendmail -t", "sendmail: /nonexistent/sendmail does not exist"),
        ("no-such-mailer-here -t", "sendmail: no-such-mailer-here does not exist on PATH"),
        ("{folder} -t", "sendmail: {folder} is not an executable program"),
    ],
)
def test_a_missing_program_is_a_config_error_before_anything(
    write_config: Callable[..., Path], cli: Cli, tmp_path: Path, command: str, error: str
) -> None:
    config, database = setup(write_config, sendmail_table("x", sendmail=command.format(folder=tmp_path)))
    result = cli("digest", "--config", str(config), "--send")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {config}: [email]: {error.format(folder=tmp_path)}\n"
    assert all(m.digested_at is None for m in read_store(database).values())


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (
            {"smtp_host": "smtp.example.com"},
            "'sendmail' and 'smtp_host' are two ways of sending: keep one (sendmail hands the message "
            "to a local program; the smtp_ keys talk to a server)",
        ),
        ({"sendmail": "   "}, "'sendmail' is empty: give the program, like \"/usr/sbin/sendmail -t\""),
        (
            {"sendmail": "/usr/sbin/sendmail -f 'me"},
            "'sendmail' is not a command line (No closing quotation)",
        ),
    ],
)
def test_sendmail_config_errors_name_the_key(
    write_config: Callable[..., Path], cli: Cli, overrides: dict[str, Any], error: str
) -> None:
    config = write_config(QUERIES, [], extra=sendmail_table("/usr/sbin/sendmail", **overrides))
    result = cli("digest", "--config", str(config), "--send")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {config}: [email]: {error}")


def test_without_send_the_program_is_not_run(
    write_config: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    sendmail = fake_sendmail(tmp_path)
    config, database = setup(write_config, sendmail_table(sendmail.program))
    preview = cli("digest", "--config", str(config))
    assert preview.exit_code == 0 and preview.stdout.startswith("From: ")
    assert sendmail.received == []
    assert all(m.digested_at is None for m in read_store(database).values())
