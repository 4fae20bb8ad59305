"""A reply the user wrote (the draft of `reply`, edited): sent through `[email]`, or kept as `.eml`.

The `[email]` table says how mail leaves this machine (its SMTP server, or its `sendmail`
program); a reply goes out the same way, to the author instead of the digest's readers.
"""

from __future__ import annotations

from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING

from mentionscan.atomic import write_atomically
from mentionscan.errors import ConfigError, SendError
from mentionscan.store import database_path
from mentionscan.text import one_line
from mentionscan.timeutil import utcnow

if TYPE_CHECKING:
    from mentionscan.config.model import Config
    from mentionscan.models import Mention

REPLIES_FOLDER = "replies"  # beside the database: the replies kept rather than sent


def read_message(data: bytes) -> EmailMessage | None:
    """The message the user saved in the editor; None when they emptied it (nothing to send)."""
    if not data.strip():
        return None
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def recipients(message: EmailMessage) -> list[str]:
    """The addresses in To: and Cc: (what an SMTP server is asked to deliver to)."""
    fields = [str(v) for name in ("To", "Cc") for v in message.get_all(name) or ()]
    return [address for _, address in getaddresses(fields) if "@" in address]


def send_reply(config: Config, message: EmailMessage) -> str:
    """Send `message` through the config's `[email]` transport; where it went (SendError if it did not)."""
    from mentionscan.delivery.mail import SendmailDelivery, SmtpDelivery

    to = recipients(message)
    if config.email is None:
        raise ConfigError(f"{config.path}: no [email] table: add one to send replies (or keep them as .eml)")
    if not to:
        raise SendError("the reply has no To: address: add the author's address, or keep it as .eml")
    spec = replace(config.email, to=tuple(to))
    transport = SendmailDelivery if spec.sendmail else SmtpDelivery
    delivery = transport(spec, f"{config.path}: [email]")
    delivery.what = "the reply"
    delivery.prepare()
    return delivery(message)


def keep_reply(database: str, mention: Mention, message: EmailMessage) -> Path:
    """Write `message` to `replies/<id>-<time>.eml` beside the database; the file."""
    folder = database_path(database).expanduser().resolve().parent / REPLIES_FOLDER
    path = folder / f"{mention.id[:7]}-{utcnow():%Y%m%d-%H%M%S}.eml"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(path, [message.as_bytes()], what=f"the reply to {path}", error=SendError)
    return path


def record_answer(mention: Mention, message: EmailMessage, where: str) -> Mention:
    """The mention with the reply logged (recipient, subject, body, where it went) and set contacted."""
    from mentionscan.followup.triage import mark

    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    log = (
        f"To: {one_line(message.get('To', '')) or '(unknown)'}\n"
        f"Subject: {one_line(message.get('Subject', ''))}\n{where}\n\n{text}"
    )
    now = utcnow()
    return mark(mention.with_event("draft", log.rstrip("\n"), at=now), "contacted", now=now)
