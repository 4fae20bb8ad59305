"""SMTP delivery against real servers on 127.0.0.1: TLS, login, and every way it can fail.

Whatever the failure, the command exits 1 with one line naming the server and the reason, and
the mentions stay undigested, so the next `digest --send` to a working server carries them.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from mentionscan.config.model import EmailSpec
from mentionscan.dedup import mention_id
from mentionscan.delivery.mail import DEFAULT_PORTS, SmtpDelivery
from mentionscan.errors import ConfigError
from mentionscan.models import Mention
from mentionscan.timeutil import utcnow
from tests.mailtools import QUERIES, email_table, free_port, read_store, smtp_server, write_store

PASSWORD = "s3cret-Pa55word"  # a test password, for a test server


def mention(key: str) -> Mention:
    return Mention(
        id=mention_id(key),
        url=f"https://example.com/{key}",
        title=f"Acme post {key}",
        snippet="about acme",
        author=None,
        author_url=None,
        author_email=None,
        published=None,
        found_at=utcnow(),
        source="blog",
        source_type="feed",
        queries=("acme",),
    )


@pytest.fixture
def setup(write_config: Callable[..., Path]) -> Callable[..., Path]:
    """A config with [email] as given, and a database holding two undigested mentions."""

    def make(**email: Any) -> Path:
        server = email.pop("server", None)
        path = write_config(QUERIES, [], extra=email_table(server, **email))
        write_store(path.parent / "mentions.json", [mention("one"), mention("two")])
        return path

    return make


def undigested(path: Path) -> int:
    return sum(1 for m in read_store(path.parent / "mentions.json").values() if m.digested_at is None)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def trust_ca(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the test CA the system's trusted CA, as a company CA installed on the machine would be."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    yield


def test_login_then_send(setup: Callable[..., Path], cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    with smtp_server(auth=("scan", PASSWORD)) as server:
        path = setup(server=server, username="scan", password_env="TEST_SMTP_PASSWORD")
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 0, result.stderr
    assert len(server.received) == 1
    assert undigested(path) == 0
    assert PASSWORD not in result.stdout + result.stderr


def test_rejected_login_keeps_the_mentions_for_the_next_digest(
    setup: Callable[..., Path], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    with smtp_server(auth=("scan", "another password")) as server:
        path = setup(server=server, username="scan", password_env="TEST_SMTP_PASSWORD")
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 1
    assert server.received == []
    assert error_lines(result.stderr) == [
        f"Error: cannot send the digest through 127.0.0.1:{server.port}: "
        "login as scan refused (535 5.7.8 Authentication credentials invalid)"
    ]
    assert PASSWORD not in result.stdout + result.stderr
    assert undigested(path) == 2

    with smtp_server(auth=("scan", PASSWORD)) as good:
        path.write_text(path.read_text().replace(str(server.port), str(good.port)))
        retry = cli("digest", "--config", str(path), "--send")
    assert retry.exit_code == 0, retry.stderr
    assert "Digest of 2 mentions sent" in retry.stderr
    assert undigested(path) == 0


def test_closed_port_keeps_the_mentions_then_a_good_server_gets_them(
    setup: Callable[..., Path], cli: Any
) -> None:
    port = free_port()  # nothing listens here
    path = setup(smtp_port=port)
    result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"Error: cannot send the digest through 127.0.0.1:{port}: "
        "connection refused (is the server running, and is smtp_port right?)"
    ]
    assert undigested(path) == 2

    with smtp_server() as server:
        path.write_text(path.read_text().replace(str(port), str(server.port)))
        assert cli("digest", "--config", str(path), "--send").exit_code == 0
        assert cli("digest", "--config", str(path), "--send").exit_code == 0  # nothing new: no mail
    assert len(server.received) == 1
    assert server.received[0].message["Subject"] == "mentionscan: 2 new mentions (acme 2)"


def test_a_server_that_never_answers_times_out(setup: Callable[..., Path], cli: Any) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        path = setup(smtp_port=port, timeout=0.5)
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"Error: cannot send the digest through 127.0.0.1:{port}: no answer within 0.5 s"
    ]
    assert undigested(path) == 2


def test_missing_password_is_a_config_error_before_connecting(
    setup: Callable[..., Path], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    # Nothing listens on this port: had it connected, the error would be "connection refused".
    path = setup(smtp_port=free_port(), username="scan", password_env="TEST_SMTP_PASSWORD")
    result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 2
    assert error_lines(result.stderr) == [
        f"Error: {path}: [email]: environment variable TEST_SMTP_PASSWORD is not set (the SMTP password)"
    ]
    assert undigested(path) == 2


def test_starttls_to_a_trusted_certificate(
    setup: Callable[..., Path], cli: Any, server_tls: ssl.SSLContext, trust_ca: None
) -> None:
    with smtp_server(starttls=server_tls) as server:
        path = setup(server=server, security="starttls")
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 0, result.stderr
    assert len(server.received) == 1
    assert undigested(path) == 0


def test_starttls_refuses_an_untrusted_certificate_unless_told(
    setup: Callable[..., Path], cli: Any, server_tls: ssl.SSLContext
) -> None:
    with smtp_server(starttls=server_tls) as server:
        path = setup(server=server, security="starttls")
        refused = cli("digest", "--config", str(path), "--send")
        assert refused.exit_code == 1
        [line] = error_lines(refused.stderr)
        where = f"Error: cannot send the digest through 127.0.0.1:{server.port}: "
        assert line.startswith(where + "its TLS certificate does not verify (")
        assert "verify_certificate = false" in line
        assert server.received == []
        assert undigested(path) == 2

        # The same config, opting out: the only way to accept a certificate that does not verify.
        path.write_text(path.read_text().replace("[email]\n", "[email]\nverify_certificate = false\n"))
        accepted = cli("digest", "--config", str(path), "--send")
    assert accepted.exit_code == 0, accepted.stderr
    assert len(server.received) == 1
    assert undigested(path) == 0


def test_implicit_tls_verifies_too(
    setup: Callable[..., Path], cli: Any, server_tls: ssl.SSLContext, ca: trustme.CA, tmp_path: Path
) -> None:
    with smtp_server(implicit_tls=server_tls) as server:
        path = setup(server=server, security="ssl")
        refused = cli("digest", "--config", str(path), "--send")
        assert refused.exit_code == 1
        assert "its TLS certificate does not verify" in refused.stderr
        assert undigested(path) == 2

        bundle = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        trusted = cli("digest", "--config", str(path), "--send", env={"SSL_CERT_FILE": str(bundle)})
    assert trusted.exit_code == 0, trusted.stderr
    assert len(server.received) == 1


def test_starttls_to_a_server_without_it_fails_clearly(setup: Callable[..., Path], cli: Any) -> None:
    with smtp_server() as server:  # plain SMTP, no STARTTLS offered
        path = setup(server=server, security="starttls")
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"Error: cannot send the digest through 127.0.0.1:{server.port}: the server does not offer "
        'STARTTLS (set security = "ssl" or, for a local relay only, "none")'
    ]
    assert undigested(path) == 2


def test_implicit_tls_to_a_plain_server_fails_clearly(setup: Callable[..., Path], cli: Any) -> None:
    with smtp_server() as server:
        path = setup(server=server, security="ssl")
        result = cli("digest", "--config", str(path), "--send")
    assert result.exit_code == 1
    [line] = error_lines(result.stderr)
    assert line.startswith(f"Error: cannot send the digest through 127.0.0.1:{server.port}: TLS failed (")
    assert undigested(path) == 2


def test_default_ports_follow_security() -> None:
    for security, port in (("starttls", 587), ("ssl", 465), ("none", 25)):
        spec = EmailSpec(to=("a@example.com",), sender="b@example.com", security=security)
        assert SmtpDelivery(spec).port == port == DEFAULT_PORTS[security]
    spec = EmailSpec(to=("a@example.com",), sender="b@example.com", smtp_port=2525)
    assert SmtpDelivery(spec).server == "localhost:2525"


def test_a_password_is_never_sent_in_clear_to_another_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    spec = EmailSpec(
        to=("a@example.com",),
        sender="b@example.com",
        smtp_host="192.0.2.1",  # prepare() never connects: this address is only compared
        security="none",
        username="scan",
        password_env="TEST_SMTP_PASSWORD",
    )
    with pytest.raises(
        ConfigError, match=re.escape('security = "none" would send the password unencrypted to 192.0.2.1')
    ):
        SmtpDelivery(spec).prepare()
    SmtpDelivery(spec.__class__(**{**_fields(spec), "smtp_host": "127.0.0.1"})).prepare()


def _fields(spec: EmailSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__slots__}  # type: ignore[attr-defined]


def test_username_without_password_env_is_a_config_error() -> None:
    spec = EmailSpec(to=("a@example.com",), sender="b@example.com", username="scan")
    with pytest.raises(ConfigError, match="'username' needs 'password_env'"):
        SmtpDelivery(spec).prepare()


def test_a_line_break_in_a_configured_address_is_refused_before_sending(
    setup: Callable[..., Path], cli: Any
) -> None:
    with smtp_server() as server:
        path = setup(server=server, to="founder@example.com\r\nBcc: victim@example.com")
        for args in (["--send"], []):
            result = cli("digest", "--config", str(path), *args)
            assert result.exit_code == 2
            assert error_lines(result.stderr) == [
                f"Error: {path}: [email]: 'founder@example.com\\r\\nBcc: victim@example.com' "
                "is not one valid email address"
            ]
            assert result.stdout == ""
    assert server.received == []
    assert undigested(path) == 2
