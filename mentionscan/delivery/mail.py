"""Handing a message over: to an SMTP server, to a local mail program, to a file, or to a stream.

Each delivery is a callable `deliver(message) -> where` that returns only once the message was
accepted (the server said 250 to it, the mail program exited 0, the file was renamed into
place, the stream was flushed) and raises SendError, with one line naming the server, program
or file and the reason, otherwise.
`prepare()` checks what can be checked before anything is opened (the password is set).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import BinaryIO

from mentionscan.atomic import write_atomically
from mentionscan.config.model import EmailSpec, require_env
from mentionscan.errors import ConfigError, MessageTooLarge, SendError
from mentionscan.text import one_line, truncate

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def tls_context(verify: bool = True) -> ssl.SSLContext:
    """The system's trusted CAs and host name checks; `verify=False` is the only way to drop them.

    Never `None`: smtplib then uses an unverified context (RELIABILITY A-49).
    """
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpDelivery:
    """Send through the `[email]` server: STARTTLS, implicit TLS or plain, with an optional login."""

    what = "the digest"  # what an error says could not be sent

    def __init__(self, spec: EmailSpec, where: str = "[email]") -> None:
        self.spec = spec
        self.where = where
        self.host = spec.smtp_host
        self.port = spec.smtp_port or DEFAULT_PORTS[spec.security]
        self._password: str | None = None
        self._sender = ""
        self._recipients: list[str] = []

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def prepare(self) -> None:
        """Read the password and check the addresses: a ConfigError before any connection."""
        from mentionscan.delivery.digest import addresses

        spec = self.spec
        if spec.username and not spec.password_env:
            raise ConfigError(
                f"{self.where}: 'username' needs 'password_env' (the variable that holds the password)"
            )
        if spec.username and spec.security == "none" and not _is_loopback(self.host):
            raise ConfigError(
                f'{self.where}: security = "none" would send the password unencrypted to {self.host}; '
                'use "starttls" or "ssl"'
            )
        if spec.password_env:
            self._password = require_env(spec.password_env, self.where, "the SMTP password")
        self._sender = addresses([spec.sender], self.where)[0]
        self._recipients = addresses(spec.to, self.where)

    def __call__(self, message: EmailMessage) -> str:
        if not self._recipients:
            self.prepare()
        try:
            refused = self._send(message)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            error = MessageTooLarge if exc.smtp_code == 552 else SendError  # 552: too much mail data
            raise error(f"cannot send {self.what} through {self.server}: {self._reason(exc)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"cannot send {self.what} through {self.server}: {self._reason(exc)}") from exc
        accepted = [r for r in self._recipients if r not in refused]
        where = f"sent to {', '.join(accepted)} through {self.server}"
        if refused:
            where += (
                " (refused: " + ", ".join(f"{a} {c} {_server_text(t)}" for a, (c, t) in refused.items()) + ")"
            )
        return where

    def _send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        spec = self.spec
        # The EHLO name: smtplib's default (socket.getfqdn) may ask DNS; the host name does not.
        local = socket.gethostname() or "localhost"
        smtp: smtplib.SMTP
        if spec.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=local,
                timeout=spec.timeout,
                context=tls_context(spec.verify_certificate),
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=local, timeout=spec.timeout)
        try:
            if spec.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise SendError(
                        f"cannot send {self.what} through {self.server}: the server does not offer STARTTLS "
                        '(set security = "ssl" or, for a local relay only, "none")'
                    )
                smtp.starttls(context=tls_context(spec.verify_certificate))
                smtp.ehlo()
            if spec.username and self._password is not None:
                smtp.login(spec.username, self._password)
            self._check_size(smtp, message)
            refused = smtp.send_message(message, from_addr=self._sender, to_addrs=self._recipients)
            # Accepted: from here on nothing may turn this into a failure (it would be sent twice).
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            return refused
        finally:
            smtp.close()

    def _check_size(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        """MessageTooLarge before sending when the server announced (EHLO SIZE) a smaller limit."""
        smtp.ehlo_or_helo_if_needed()
        announced = smtp.esmtp_features.get("size", "").strip()
        limit = int(announced) if announced.isdigit() else 0
        if limit and len(message.as_bytes(policy=SMTP_POLICY)) > limit:
            raise MessageTooLarge(
                f"cannot send {self.what} through {self.server}: it is larger than the {limit:,} bytes "
                "the server accepts",
                limit=limit,
            )

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"login as {self.spec.username} refused ({exc.smtp_code} {_server_text(exc.smtp_error)})"
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return f"the server does not support it: {one_line(str(exc))}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(
                f"{addr} ({code} {_server_text(text)})" for addr, (code, text) in exc.recipients.items()
            )
            return f"every recipient was refused: {refused}"
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return f"sender {self._sender} refused ({exc.smtp_code} {_server_text(exc.smtp_error)})"
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"the server answered {exc.smtp_code} {_server_text(exc.smtp_error)}"
        if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
            exc = exc.__context__  # smtplib reports a read that timed out as a closed connection
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return "the server closed the connection" + (
                " (is security right for this port?)" if self.spec.security != "ssl" else ""
            )
        if isinstance(exc, smtplib.SMTPException):
            return one_line(str(exc))
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (
                f"its TLS certificate does not verify ({one_line(exc.verify_message or exc.reason)}); "
                "set verify_certificate = false only for a server you trust on a network you trust"
            )
        if isinstance(exc, ssl.SSLError):
            return f"TLS failed ({one_line(exc.reason or str(exc))}); is security right for port {self.port}?"
        if isinstance(exc, TimeoutError):
            return f"no answer within {self.spec.timeout:g} s"
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused (is the server running, and is smtp_port right?)"
        if isinstance(exc, socket.gaierror):
            return f"cannot find the host {self.host} ({one_line(exc.strerror)})"
        if isinstance(exc, OSError):
            return one_line(exc.strerror or str(exc) or type(exc).__name__)
        return one_line(str(exc))


def _server_text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return truncate(one_line(text), 200)


class SendmailDelivery:
    """Hand the message to a local mail program (`sendmail = "/usr/sbin/sendmail -t"`) on its stdin.

    Accepted means the program exited 0: `sendmail -t` (postfix, exim, msmtp, nullmailer) then
    has the message in its queue, and reads the recipients from its headers.
    """

    what = "the digest"

    def __init__(self, spec: EmailSpec, where: str = "[email]") -> None:
        assert spec.sendmail is not None
        self.spec = spec
        self.where = where
        self.command = spec.sendmail
        self.argv = shlex.split(spec.sendmail)
        self._recipients: list[str] = []

    def prepare(self) -> None:
        """Check the addresses, and that the program is there: a ConfigError before it is run."""
        from mentionscan.delivery.digest import addresses

        program = str(Path(self.argv[0]).expanduser())
        found = shutil.which(program)
        if found is None:
            exists = "/" in program and Path(program).expanduser().exists()
            problem = "is not an executable program" if exists else "does not exist"
            where = "" if "/" in program else " on PATH"
            raise ConfigError(f"{self.where}: sendmail: {program} {problem}{where}")
        self.argv[0] = found
        addresses([self.spec.sender], self.where)
        self._recipients = addresses(self.spec.to, self.where)

    def __call__(self, message: EmailMessage) -> str:
        if not self._recipients:
            self.prepare()
        failed = f"cannot send {self.what} through {self.command}"
        try:
            # Its own process group: a program that hangs is stopped with whatever it started,
            # which would otherwise hold its pipes open and keep us waiting.
            with subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            ) as program:
                try:
                    # Local line endings, as on a pipe: what `sendmail -t` expects on its stdin.
                    out, err = program.communicate(message.as_bytes(), timeout=self.spec.timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(OSError):
                        os.killpg(program.pid, signal.SIGKILL)
                    program.communicate()
                    raise SendError(f"{failed}: it did not finish within {self.spec.timeout:g} s") from None
        except OSError as exc:
            raise SendError(f"{failed}: {one_line(exc.strerror or str(exc))}") from exc
        if program.returncode != 0:
            said = _last_words(err) or _last_words(out)
            status = (
                f"it was killed by signal {-program.returncode}"
                if program.returncode < 0
                else f"it exited with status {program.returncode}"
            )
            raise SendError(f"{failed}: {status}" + (f": {said}" if said else " and said nothing"))
        return f"sent to {', '.join(self._recipients)} through {self.command}"


def _last_words(output: bytes) -> str:
    """The last few lines a program printed, as one line (its complaint is usually at the end)."""
    lines = [line for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    return truncate(one_line(" ".join(lines[-3:])), 300)


class FileDelivery:
    """Write the message to a `.eml` file atomically: a temp file beside it, fsync, rename."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def prepare(self) -> None:
        folder = self.path.expanduser().parent
        if not folder.is_dir():
            raise ConfigError(f"--output {self.path}: the folder {folder} does not exist")

    def __call__(self, message: EmailMessage) -> str:
        path = self.path.expanduser()
        data = message.as_bytes(policy=SMTP_POLICY)
        write_atomically(path, [data], what=f"the digest to {path}", error=SendError)
        return f"written to {path}"


class StreamDelivery:
    """Write the message to a binary stream (stdout): a preview, or `digest --mark | sendmail -t`.

    A reader that goes away (`| head`, a pager quit) ends a preview quietly: BrokenPipeError
    goes up as it is. When the message was to count as handed over, it is a SendError.
    """

    def __init__(self, stream: BinaryIO, name: str = "stdout", *, preview: bool = False) -> None:
        self.stream = stream
        self.name = name
        self.preview = preview

    def prepare(self) -> None:
        pass

    def __call__(self, message: EmailMessage) -> str:
        try:
            # Local line endings: what `sendmail -t` and mail-reading programs expect on a pipe.
            self.stream.write(message.as_bytes())
            self.stream.flush()
        except BrokenPipeError as exc:
            if self.preview:
                raise
            raise SendError(f"cannot write the digest to {self.name}: the reader went away") from exc
        except OSError as exc:
            raise SendError(f"cannot write the digest to {self.name}: {exc.strerror or exc}") from exc
        return f"written to {self.name}"
