"""Drafting a personal reply to the author of a mention: an RFC 5322 message, or a mailto: link.

The body comes from a `string.Template` (`$author`, `$title`, `$url`, `$snippet`, `$source`,
`$date`, `$due`), filled with `safe_substitute`: text from the web is inserted as it is, never read as
a template itself, so a `$` or `{` in a title cannot break or inject anything. Every header value
is folded to one line first, so no title or name can add a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING
from urllib.parse import quote

from mentionscan.errors import ConfigError
from mentionscan.mailaddr import configured_address, domain_of, valid_address
from mentionscan.text import clean, one_line, truncate
from mentionscan.timeutil import long_date, utcnow

if TYPE_CHECKING:
    from mentionscan.config.model import Config
    from mentionscan.models import Mention

SUBJECT_LIMIT = 200
MAX_LINE = 998  # octets in a line of an RFC 5322 message
NO_DUE = "[date]"  # `$due` when no report-back date is set: a bracket to fill in, as the others

DEFAULT_TEMPLATE = """\
Hi $author,

I read what you wrote in "$title":
$url

> $snippet

Thank you for taking the time to write about it. You deserve a straight answer:

1. What happened: [what went wrong, in plain words, without excuses]

2. What we are doing about it: [the fix, or the workaround you can use today]

3. How we will stop it happening again: [the change to how we work]

4. I will write to you again when this is done, by $due.

If I got anything wrong, please tell me; you can reply to this email directly.

Best regards,
[your name]
"""


@dataclass(frozen=True, slots=True)
class Draft:
    mention: Mention
    message: EmailMessage
    to: str | None  # the author's address, when known
    subject: str
    body: str
    from_key: str = ""  # the config key From: came from (`reply_from`, or [email] `from`); "" for none

    def as_bytes(self) -> bytes:
        """The RFC 5322 message, with `\\n` line ends (for stdout, `sendmail -t`, an .eml file)."""
        return self.message.as_bytes()

    def mailto(self) -> str:
        """A `mailto:` URL (RFC 6068) carrying the address, subject and body, percent-encoded."""
        address = quote(self.to, safe="@") if self.to else ""
        body = self.body.replace("\r\n", "\n").replace("\n", "\r\n")
        return f"mailto:{address}?subject={quote(self.subject, safe='')}&body={quote(body, safe='')}"

    def log_text(self) -> str:
        """What the timeline keeps of the draft: recipient, subject and body."""
        return f"To: {self.to or '(unknown)'}\nSubject: {self.subject}\n\n{self.body}"


def load_template(path: str | None) -> str:
    """The template text: the file at `path` (`reply_template` in [settings]), else the built-in."""
    if not path:
        return DEFAULT_TEMPLATE
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"reply_template {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read reply_template {path}: {reason}") from None


def reply_for(mention: Mention, config: Config | None, due: str | None, now: datetime) -> Draft:
    """The draft the config asks for: its template, its From:, and the date `due` promises.

    `due` is what the user typed (`3d`, `none`); None says the mention's own due date.
    """
    from mentionscan.followup.triage import due_date

    when = due_date(due, now) if due is not None else mention.due
    template = load_template(config.settings.reply_template if config else None)
    sender, key = reply_sender(config)
    return draft_reply(mention, template, sender=sender, now=now, due=when, from_key=key)


def reply_sender(config: Config | None) -> tuple[str | None, str]:
    """From: of a reply, and the key it came from: `reply_from`, else the digest's [email] `from`.

    The digest's address is often a robot's; it is used only for want of the person's own.
    """
    if config is not None and config.settings.reply_from:
        return config.settings.reply_from, "reply_from"
    if config is not None and config.email is not None:
        return config.email.sender, "[email] from"
    return None, ""


def subject_for(title: str) -> str:
    """`Re: <title>` on one line (no second `Re:` when the title already has one)."""
    line = truncate(one_line(title), SUBJECT_LIMIT) or "your post"
    return line if line.lower().startswith("re:") else f"Re: {line}"


def draft_reply(
    mention: Mention,
    template: str = DEFAULT_TEMPLATE,
    *,
    sender: str | None = None,
    now: datetime | None = None,
    due: datetime | None = None,
    from_key: str = "",
) -> Draft:
    """The draft email to the author of `mention`, its body made from `template`.

    `sender` (one configured address, `Name <user@host>` or `user@host`) is the From: header;
    `due`, the report-back date, is `$due` (`[date]` without one).
    """
    author = one_line(mention.author or "")
    values = {
        "author": author or "there",
        "title": one_line(mention.title),
        "url": one_line(mention.url),
        "snippet": one_line(mention.snippet),
        "source": one_line(mention.source),
        "date": (mention.published or mention.found_at).strftime("%Y-%m-%d"),
        "due": long_date(due) if due else NO_DUE,
    }
    body = clean(Template(template).safe_substitute(values)).rstrip("\n") + "\n"
    to = valid_address(mention.author_email)
    subject = subject_for(mention.title)
    message = EmailMessage()
    if sender and (address := configured_address(sender)):
        message["From"] = address
    if to:
        message["To"] = Address(display_name=author, addr_spec=to) if author else to
    message["Subject"] = subject
    message["Date"] = format_datetime((now or utcnow()).astimezone())
    # A Message-ID of its own: the author's reply can then point at it (In-Reply-To), and a
    # mail client or MTA given the .eml keeps it rather than inventing one.
    message["Message-ID"] = make_msgid(domain=domain_of(sender))
    # 7bit or 8bit keep the body readable in a terminal or a mail client's editor; only lines
    # longer than RFC 5322 allows need quoted-printable.
    too_long = any(len(line.encode()) > MAX_LINE for line in body.splitlines())
    cte = "quoted-printable" if too_long else "7bit" if body.isascii() else "8bit"
    message.set_content(body, cte=cte)
    return Draft(mention, message, to, subject, body, from_key if message["From"] else "")
