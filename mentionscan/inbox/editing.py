"""`R`'s middle step: the draft in the user's editor, with the terminal handed over to it."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from email.message import EmailMessage
from pathlib import Path

from textual.app import SuspendNotSupported

from mentionscan.delivery.replies import read_message
from mentionscan.followup.reply import Draft


def edit_draft(draft: Draft, suspend: Callable[[], AbstractContextManager[None]]) -> EmailMessage | str:
    """The message as the user saved it, or a sentence saying why there is none to send."""
    original = draft.as_bytes()
    with tempfile.TemporaryDirectory(prefix="mentionscan-reply-") as folder:
        path = Path(folder) / f"reply-{draft.mention.id[:7]}.eml"
        path.write_bytes(original)
        problem = run_editor(path, suspend)
        edited = path.read_bytes() if path.exists() else b""
    if problem:
        return problem
    message = read_message(edited)
    if message is None or edited == original:
        return "Reply not sent: the draft was " + ("emptied." if message is None else "not changed.")
    return message


def run_editor(path: Path, suspend: Callable[[], AbstractContextManager[None]]) -> str:
    """Run $VISUAL or $EDITOR (else vi) on `path`; a problem, or ""."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    command = [*shlex.split(editor), str(path)]
    try:
        try:
            with suspend():
                done = subprocess.run(command, check=False)
        except SuspendNotSupported:  # no terminal to hand over (a test's headless screen)
            done = subprocess.run(command, check=False, capture_output=True)
    except OSError as error:
        return f"Error: cannot run the editor {editor!r}: {error.strerror or error}"
    if done.returncode != 0:
        return f"Reply not sent: the editor {editor!r} exited with status {done.returncode}."
    return ""
