"""Broken and hostile servers, through a real fetch: deadlines, bombs, redirects, rate limits.

Every server here listens on 127.0.0.1 (one test also binds 127.0.0.2, only to prove that it
is never contacted). Private-address refusals are driven through the client's `resolver` and
`classify` hooks, so no packet ever goes anywhere else.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mentionscan.config.load import load_config
from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.fetching.addresses import address_class, system_resolver
from mentionscan.fetching.health import FAILING_AFTER
from mentionscan.fetching.http import HttpClient
from mentionscan.fetching.responses import retry_after_seconds
from mentionscan.fetching.run import run_fetch
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.hardening_tools import (
    RawServer,
    brotli_bomb,
    cli_env,
    gzip_bomb,
    http_head,
    mentionscan_command,
    peak_rss,
    reset,
    rss,
)

FEED = rss([{"title": "acme news", "link": "https://news.example/acme", "guid": "acme-1"}])
RSS_TYPE = "application/rss+xml"


def url_for(server: HTTPServer, path: str) -> str:
    """The server's URL by address: 127.0.0.1, whatever name the fixture listens under."""
    return f"http://127.0.0.1:{server.port}{path}"


def feed_source(name: str, url: str) -> dict[str, str]:
    return {"name": name, "type": "feed", "url": url}


def stored(config: Path) -> list[dict]:
    path = config.parent / "mentions.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_bytes()).get("mentions", {}).values())


# Time: deadlines


def drip_body(conn: socket.socket, path: str) -> None:
    conn.sendall(http_head(headers={"Content-Type": RSS_TYPE}))
    for byte in FEED * 20:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def silent(conn: socket.socket, path: str) -> None:
    time.sleep(10)  # reads the request, never answers


def drip_headers(conn: socket.socket, path: str) -> None:
    for byte in http_head(headers={"Content-Type": RSS_TYPE, "X-Padding": "x" * 4000}):
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def test_a_dripping_server_is_abandoned_at_the_deadline_whether_it_drips_body_or_headers(
    cli: Cli, write_config
) -> None:
    with RawServer(drip_body) as body, RawServer(drip_headers) as headers, RawServer(silent) as mute:
        config = write_config(
            {"acme": "acme"},
            [
                feed_source("body-drip", body.url("/feed")),
                feed_source("header-drip", headers.url("/feed")),
                feed_source("silent", mute.url("/feed")),
            ],
            {"deadline": 2, "timeout": 1},
        )
        started = time.monotonic()
        result = cli("fetch", "--config", str(config))
        elapsed = time.monotonic() - started
    assert result.exit_code == 3
    # Each read is far below the 1 s read timeout: only the total deadline can stop them.
    assert 1.9 < elapsed < 4.5, elapsed
    for name, server in (("body-drip", body), ("header-drip", headers)):
        line = f"Error: {name}: {server.url('/feed')}: gave up after 2 s (the server is too slow)"
        assert line in result.stderr
        assert server.count("/feed") == 1  # a server that is too slow is not asked again
    # One that never answers times out after 1 s, is asked again, and the deadline ends it.
    assert f"Error: silent: {mute.url('/feed')}: gave up after 2 s (the server is too slow)" in result.stderr
    assert mute.count("/feed") == 2
    assert stored(config) == []


def test_deadline_must_be_a_positive_number(cli: Cli, write_config) -> None:
    config = write_config({"acme": "acme"}, [feed_source("f", "http://127.0.0.1:9/feed")], {"deadline": 0})
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 2
    assert "[settings]: 'deadline' must be more than 0, not 0" in result.stderr


# Size: a gzip bomb


def peak_rss_kib(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes, int]:
    """Run `command`; its exit status, stderr and peak resident memory (KiB)."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, stderr, usage.ru_maxrss


def test_a_gzip_bomb_fails_its_source_with_response_too_large_and_memory_stays_flat(
    httpserver: HTTPServer, write_config, tmp_path: Path, isolated_home: Path
) -> None:
    bomb = gzip_bomb(512)  # 512 MiB of zeros in about half a MiB on the wire
    assert len(bomb) < 1024 * 1024
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip", "Content-Type": RSS_TYPE}
    )
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type=RSS_TYPE)
    env = cli_env(isolated_home)
    small = write_config(
        {"acme": "acme"}, [feed_source("small", url_for(httpserver, "/feed"))], name="small.toml"
    )
    status, stderr, baseline = peak_rss_kib(
        mentionscan_command("fetch", "--config", str(small)), env, tmp_path
    )
    assert status == 0, stderr
    config = write_config(
        {"acme": "acme"},
        [
            feed_source("bomb", url_for(httpserver, "/bomb")),
            feed_source("small", url_for(httpserver, "/feed")),
        ],
        name="bomb.toml",
    )
    status, stderr, peak = peak_rss_kib(mentionscan_command("fetch", "--config", str(config)), env, tmp_path)
    text = stderr.decode()
    assert status == 3, text
    assert (
        f"Error: bomb: {url_for(httpserver, '/bomb')}: response too large "
        "(more than 15 MiB after decompression)" in text
    )
    assert "small: 1 entry, 1 matched, 0 new" in text  # the other source still ran
    # The default cap is 15 MiB: memory may grow by about that, never by the 512 MiB inside.
    assert peak - baseline < 60 * 1024, (baseline, peak)


def test_an_answer_with_thousands_of_headers_or_an_endless_header_line_says_so(
    cli: Cli, write_config
) -> None:
    def handler(conn: socket.socket, path: str) -> None:
        if path == "/many":
            head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % n for n in range(5000))
        else:
            head = b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 70_000 + b"\r\n"
        conn.sendall(head + b"Content-Length: 0\r\n\r\n")

    with RawServer(handler) as server:
        sources = [feed_source(name, server.url(f"/{name}")) for name in ("many", "long")]
        result = cli("fetch", "--config", str(write_config({"acme": "acme"}, sources)))
        assert result.exit_code == 3
        assert f"Error: many: {server.url('/many')}: the server sent too many headers (more than 100)\n" in (
            result.stderr
        )
        assert f"Error: long: {server.url('/long')}: the server sent a header line too long to read\n" in (
            result.stderr
        )
        assert server.count("/many") == 1  # not retried: it would answer the same


def test_brotli_and_gzip_bombs_with_brotli_installed_stay_under_150_mib(
    httpserver: HTTPServer, write_config, tmp_path: Path, isolated_home: Path
) -> None:
    import brotli  # the test extra installs it: urllib3 then decodes "br" unless told not to

    assert brotli.decompress(brotli_bomb(1)) == b"\0" * (1 << 20)
    for path, body, encoding in (("/br", brotli_bomb(1024), "br"), ("/gz", gzip_bomb(512), "gzip")):
        httpserver.expect_request(path).respond_with_data(
            body, headers={"Content-Encoding": encoding, "Content-Type": RSS_TYPE}
        )
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type=RSS_TYPE)
    sources = [feed_source(name, url_for(httpserver, f"/{name}")) for name in ("br", "gz", "feed")]
    config = write_config({"acme": "acme"}, sources)
    status, text, peak = peak_rss(
        mentionscan_command("fetch", "--config", str(config)), cli_env(isolated_home), tmp_path
    )
    assert status == 3, text
    assert (
        f"Error: br: {url_for(httpserver, '/br')}: the body is encoded as br, which mentionscan never "
        "asks for (it accepts gzip, deflate)\n"
    ) in text
    assert f"Error: gz: {url_for(httpserver, '/gz')}: response too large" in text
    assert "feed: 1 entry, 1 matched, 1 new" in text
    assert peak < 150 * 1024, f"peak {peak >> 10} MiB"
    # What was asked: gzip and deflate only.
    assert {r.headers.get("Accept-Encoding") for r, _ in httpserver.log} == {"gzip, deflate"}


# Redirects


def chain(httpserver: HTTPServer, hops: int) -> str:
    for n in range(hops):
        httpserver.expect_request(f"/r{n}").respond_with_data(
            "", status=302, headers={"Location": f"/r{n + 1}"}
        )
    httpserver.expect_request(f"/r{hops}").respond_with_data(FEED, content_type=RSS_TYPE)
    return url_for(httpserver, "/r0")


def test_five_redirects_are_followed_and_a_sixth_is_refused(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    five = chain(httpserver, 5)
    httpserver.expect_request("/loop").respond_with_data("", status=301, headers={"Location": "/loop"})
    config = write_config(
        {"acme": "acme"}, [feed_source("five", five), feed_source("loop", url_for(httpserver, "/loop"))]
    )
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 3
    assert "five: 1 entry, 1 matched, 1 new" in result.stderr
    loop = url_for(httpserver, "/loop")
    assert f"Error: loop: {loop}: more than 5 redirects (last to {loop})" in result.stderr
    assert sum(1 for request, _ in httpserver.log if request.path == "/loop") == 6


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "feed://127.0.0.1/feed", "javascript:alert(1)"]
)
def test_only_http_and_https_urls_are_accepted_in_the_config(cli: Cli, write_config, url: str) -> None:
    config = write_config({"acme": "acme"}, [feed_source("bad", url)])
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 2
    assert (
        f"""[[sources]] #1 ("bad"): 'url' must be an http:// or https:// URL, not {url!r}""" in result.stderr
    )


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://127.0.0.1:70/"])
def test_a_redirect_to_another_scheme_is_refused(
    cli: Cli, httpserver: HTTPServer, write_config, location: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=302, headers={"Location": location})
    config = write_config({"acme": "acme"}, [feed_source("f", url_for(httpserver, "/feed"))])
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 3
    scheme = location.split(":")[0]
    assert f"Error: f: {url_for(httpserver, '/feed')}: refused a redirect to a {scheme}: URL" in result.stderr


def test_a_redirect_from_a_public_address_into_a_private_one_is_refused_before_any_packet(
    httpserver: HTTPServer, write_config
) -> None:
    # In this test 127.0.0.1 plays a public site and 127.0.0.2 a private network.
    arrived: list[str] = []
    with RawServer(lambda conn, path: arrived.append(path), host="127.0.0.2") as private:
        httpserver.expect_request("/feed").respond_with_data(
            "", status=302, headers={"Location": private.url("/latest/meta-data/")}
        )
        httpserver.expect_request("/hop").respond_with_data(
            "", status=301, headers={"Location": url_for(httpserver, "/hop2")}
        )
        httpserver.expect_request("/hop2").respond_with_data(
            "", status=307, headers={"Location": private.url("/admin")}
        )
        config = load_config(
            write_config(
                {"acme": "acme"},
                [
                    feed_source("direct", url_for(httpserver, "/feed")),
                    feed_source("detour", url_for(httpserver, "/hop")),
                ],
            )
        )
        resolved: list[str] = []

        def resolver(host: str) -> list[str]:
            resolved.append(host)
            return [host]

        def classify(address: str) -> str:
            return {"127.0.0.1": "public", "127.0.0.2": "private"}[address]

        client = HttpClient(Settings(user_agent="test"), resolver=resolver, classify=classify)
        result = fetch(config, client=client)
        time.sleep(0.2)
    assert arrived == [] and private.paths == []  # nothing, not even a connection, reached it
    assert "127.0.0.2" in resolved
    errors = {r.name: r.errors for r in result.reports}
    assert errors["direct"] == [
        f"{url_for(httpserver, '/feed')}: refused a redirect to private address "
        f"{private.url('/latest/meta-data/')} (set allow_private_redirects = true in [settings] to allow it)"
    ]
    # The public-to-public hop is fine; the next one is checked against the hop that sent it.
    assert errors["detour"][0].startswith(f"{url_for(httpserver, '/hop2')}: refused a redirect to private")
    assert result.new == []


def test_a_name_that_resolves_public_for_the_check_and_private_to_connect_is_caught(
    httpserver: HTTPServer, write_config
) -> None:
    # DNS rebinding: the check's lookup says a public address, the connection reaches a private
    # one. Here the check's resolver answers a public address (no lookup is made), and the
    # connection goes to 127.0.0.1, which this test's classifier calls private.
    with RawServer(lambda conn, path: conn.sendall(http_head())) as inside:
        httpserver.expect_request("/feed").respond_with_data(
            "", status=302, headers={"Location": inside.url("/admin")}
        )
        config = load_config(write_config({"acme": "acme"}, [feed_source("f", url_for(httpserver, "/feed"))]))
        client = HttpClient(
            Settings(user_agent="test"),
            resolver=lambda host: ["93.184.215.14"],
            classify=lambda address: "public" if address == "93.184.215.14" else "private",
        )
        result = fetch(config, client=client)
        time.sleep(0.2)
        assert inside.paths == []  # connected, and closed before a byte of the request was sent
    assert result.reports[0].errors == [
        f"{url_for(httpserver, '/feed')}: refused a redirect to private address {inside.url('/admin')} "
        "(set allow_private_redirects = true in [settings] to allow it)"
    ]


def test_redirects_between_public_addresses_are_followed_by_the_same_check(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=302, headers={"Location": url_for(httpserver, "/real")}
    )
    httpserver.expect_request("/real").respond_with_data(FEED, content_type=RSS_TYPE)
    config = load_config(write_config({"acme": "acme"}, [feed_source("f", url_for(httpserver, "/feed"))]))
    client = HttpClient(
        Settings(user_agent="test"), resolver=lambda host: [host], classify=lambda address: "public"
    )
    result = fetch(config, client=client)
    assert [m.title for m in result.new] == ["acme news"]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("fd00:ec2::254", "link-local"),
        ("100.100.100.200", "link-local"),
        ("fe80::1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping of 10.0.0.1
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("0.0.0.0", "private"),
        ("fd12:3456::1", "private"),
        ("93.184.215.14", "public"),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", "public"),
    ],
)
def test_address_classes(address: str, kind: str) -> None:
    assert address_class(address) == kind


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::1]:8080/",
        "http://10.0.0.7/admin",
        "http://127.0.0.1:6379/",
    ],
)
def test_the_redirect_check_refuses_private_targets_from_a_public_origin(target: str) -> None:
    # IP literals only: the system resolver answers them without a lookup, so no packet leaves.
    client = HttpClient(Settings(user_agent="test"), resolver=system_resolver)
    with pytest.raises(FetchError, match=r"refused a redirect to (private|loopback|link-local) address"):
        client.may_follow("https://93.184.215.14/feed", target)
    allowed = HttpClient(Settings(user_agent="test", allow_private_redirects=True), resolver=system_resolver)
    allowed.may_follow("https://93.184.215.14/feed", target)  # the user opted in
    client.close()
    allowed.close()


def test_a_url_the_user_wrote_may_point_anywhere_but_never_redirect_into_link_local() -> None:
    client = HttpClient(Settings(user_agent="test"), resolver=system_resolver)
    client.may_follow("http://10.0.0.5/feed", "http://10.0.0.6/feed")  # the intranet's own business
    client.may_follow("http://127.0.0.1:8080/feed", "http://127.0.0.1:8081/feed")
    with pytest.raises(FetchError, match="refused a redirect to link-local address"):
        client.may_follow("http://10.0.0.5/feed", "http://169.254.169.254/")
    with pytest.raises(FetchError, match="refused a redirect to loopback address"):
        client.may_follow("http://10.0.0.5/feed", "http://[::1]/")
    client.close()


# Rate limits and errors


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = time.time()
    assert retry_after_seconds("120") == 120
    date = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(hours=2), usegmt=True)
    assert retry_after_seconds(date, now=now) == pytest.approx(7200, abs=1)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past: now
    assert retry_after_seconds("99999999999999") == 7 * 24 * 3600  # capped at a week
    for junk in ("", "soon", "-5", "1.5", "٣"):
        assert retry_after_seconds(junk) is None


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "date"])
def test_rate_limited_sources_are_skipped_until_the_server_says_without_sleeping(
    cli: Cli, httpserver: HTTPServer, write_config, status: int, form: str
) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    value = "3600" if form == "seconds" else format_datetime(when, usegmt=True)
    httpserver.expect_request("/limited").respond_with_data(
        "slow down", status=status, headers={"Retry-After": value}
    )
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type=RSS_TYPE)
    path = write_config(
        {"acme": "acme"},
        [
            feed_source("limited", url_for(httpserver, "/limited")),
            feed_source("ok", url_for(httpserver, "/feed")),
        ],
    )
    started = time.monotonic()
    first = cli("fetch", "--config", str(path))
    assert time.monotonic() - started < 3  # no sleep for an hour, nor a retry
    assert first.exit_code == 3
    assert f"Error: limited: {url_for(httpserver, '/limited')}: " in first.stderr
    assert re.search(r"retry after (3599|3600) s", first.stderr)
    requests_after_first = len(httpserver.log)
    second = cli("fetch", "--config", str(path))
    assert second.exit_code == 0
    skipped = [line for line in second.stderr.splitlines() if line.startswith("Warning: limited:")]
    assert len(skipped) == 1 and "rate limited by the site: skipped until 20" in skipped[0]
    until = datetime.fromisoformat(skipped[0].rsplit(" ", 1)[1].replace("Z", "+00:00"))
    assert abs((until - when).total_seconds()) < 5
    new_requests = [r.path for r, _ in httpserver.log[requests_after_first:]]
    assert new_requests == ["/feed"]  # the limited source was left alone
    # When the time has come, it is asked again.
    config = load_config(path)
    later = fetch(config, now=datetime.now(UTC) + timedelta(hours=2))
    assert next(r for r in later.reports if r.name == "limited").status == "failed"
    assert [r.path for r, _ in httpserver.log].count("/limited") == 2


def test_5xx_and_resets_get_at_most_two_quick_retries(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request("/bad-gateway").respond_with_data("oops", status=502)
    answers = iter(
        [
            Response("busy", status=503),
            Response("a moment", status=503, headers={"Retry-After": "0"}),
            Response(FEED, content_type=RSS_TYPE),
        ]
    )
    httpserver.expect_request("/flaky").respond_with_handler(lambda request: next(answers))
    with RawServer(lambda conn, path: reset(conn)) as resets:
        config = write_config(
            {"acme": "acme"},
            [
                feed_source("bad-gateway", url_for(httpserver, "/bad-gateway")),
                feed_source("flaky", url_for(httpserver, "/flaky")),
                feed_source("reset", resets.url("/feed")),
            ],
        )
        started = time.monotonic()
        result = cli("fetch", "--config", str(config))
        elapsed = time.monotonic() - started
        assert resets.count("/feed") == 3
    assert result.exit_code == 3
    paths = [r.path for r, _ in httpserver.log]
    assert paths.count("/bad-gateway") == 3 and paths.count("/flaky") == 3
    assert elapsed < 5
    assert f"Error: bad-gateway: {url_for(httpserver, '/bad-gateway')}: HTTP 502" in result.stderr
    assert f"Error: reset: {resets.url('/feed')}: connection failed or was reset" in result.stderr
    assert "flaky: 1 entry, 1 matched, 1 new" in result.stderr


def test_a_source_that_is_gone_is_reported_and_left_alone(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/gone").respond_with_data("", status=410)
    config = write_config({"acme": "acme"}, [feed_source("gone", url_for(httpserver, "/gone"))])
    first = cli("fetch", "--config", str(config))
    assert first.exit_code == 3
    assert f"Error: gone: {url_for(httpserver, '/gone')}: gone for good (HTTP 410)" in first.stderr
    for _ in range(2):
        again = cli("fetch", "--config", str(config))
        assert again.exit_code == 0
        assert "Warning: gone: gone (HTTP 410): remove it from the config" in again.stderr
    assert len(httpserver.log) == 1


CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    + FEED.decode()  # even a feed inside the page is never read
    + "</body></html>"
)


def test_challenge_pages_html_pages_and_empty_bodies_are_not_feeds(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/cf").respond_with_data(
        CHALLENGE, status=403, headers={"cf-mitigated": "challenge", "Content-Type": "text/html"}
    )
    httpserver.expect_request("/html").respond_with_data(CHALLENGE, content_type="text/html")
    httpserver.expect_request("/html-as-xml").respond_with_data(
        "\n  <!-- hi -->\n<html><body>" + FEED.decode() + "</body></html>", content_type="application/xml"
    )
    httpserver.expect_request("/empty").respond_with_data("", content_type=RSS_TYPE)
    httpserver.expect_request("/blank").respond_with_data("\ufeff \r\n\t", content_type=RSS_TYPE)
    names = ["cf", "html", "html-as-xml", "empty", "blank"]
    config = write_config({"acme": "acme"}, [feed_source(n, url_for(httpserver, f"/{n}")) for n in names])
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == []
    assert stored(config) == []
    page = "not a feed (the server sent an HTML page)"
    expected = [
        f"Error: cf: {url_for(httpserver, '/cf')}: not a feed: the site answered with a Cloudflare "
        "challenge page (HTTP 403)",
        f"Error: html: {url_for(httpserver, '/html')}: {page}",
        f"Error: html-as-xml: {url_for(httpserver, '/html-as-xml')}: {page}",
        f"Error: empty: {url_for(httpserver, '/empty')}: empty response",
        f"Error: blank: {url_for(httpserver, '/blank')}: empty response",
    ]
    for line in expected:
        assert line in result.stderr
    assert "0 new mentions; 5 sources failed" in result.stderr


def test_a_source_failing_run_after_run_is_flagged(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    httpserver.expect_request("/missing").respond_with_data("", status=404)
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type=RSS_TYPE)
    config = write_config(
        {"acme": "acme"},
        [
            feed_source("broken", url_for(httpserver, "/missing")),
            feed_source("ok", url_for(httpserver, "/feed")),
        ],
    )
    for run in range(1, FAILING_AFTER + 1):
        result = cli("fetch", "--config", str(config))
        assert result.exit_code == 3
        flagged = f"Warning: broken: has failed {run} runs in a row" in result.stderr
        assert flagged == (run >= FAILING_AFTER)
    assert "Warning: ok:" not in result.stderr
    doctor = cli("doctor", "--config", str(config))
    assert doctor.exit_code == 3
    missing = url_for(httpserver, "/missing")
    assert (
        f"  has failed {FAILING_AFTER} runs in a row; last error: {missing}: not found (HTTP 404)"
        in doctor.stdout.splitlines()
    )
    assert "has failed" not in doctor.stdout.split("\nok ")[-1]  # the healthy source is not flagged


def test_netrc_credentials_are_never_sent_and_url_credentials_only_to_their_host(
    cli: Cli, httpserver: HTTPServer, write_config, isolated_home: Path
) -> None:
    netrc = isolated_home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    netrc.chmod(0o600)
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type=RSS_TYPE)
    with RawServer(lambda conn, path: conn.sendall(http_head("404 Not Found"))) as other:
        # A public-to-public redirect to another host: the user's credentials stay behind.
        httpserver.expect_request("/away").respond_with_data(
            "", status=302, headers={"Location": other.url("/elsewhere")}
        )
        config = write_config(
            {"acme": "acme"},
            [
                feed_source("plain", url_for(httpserver, "/feed")),
                feed_source("away", f"http://me:pw@127.0.0.1:{httpserver.port}/away"),
            ],
        )
        result = cli("fetch", "--config", str(config))
    assert "plain: 1 entry," in result.stderr
    authorizations = {r.path: r.headers.get("Authorization") for r, _ in httpserver.log}
    assert authorizations["/feed"] is None  # not netrc-user's
    assert authorizations["/away"] == "Basic bWU6cHc="  # me:pw, to the host it was written for
    assert other.paths == ["/elsewhere"]


def test_conditional_get_and_a_truncated_feed_that_must_be_fetched_again(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(FEED, content_type=RSS_TYPE, headers={"ETag": '"v1"'})

    truncated = rss(
        [
            {"title": "acme whole", "link": "https://t.example/1"},
            {"title": "acme cut", "link": "https://t.example/2"},
        ]
    )[:-40]
    httpserver.expect_request("/feed").respond_with_handler(conditional)
    httpserver.expect_request("/trunc").respond_with_data(
        truncated, content_type=RSS_TYPE, headers={"ETag": '"t1"'}
    )
    config = write_config(
        {"acme": "acme"},
        [
            feed_source("cond", url_for(httpserver, "/feed")),
            feed_source("trunc", url_for(httpserver, "/trunc")),
        ],
    )
    first = cli("fetch", "--config", str(config), "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert "acme whole" in [r["title"] for r in json.loads(first.stdout)]
    assert "Warning: trunc: " in first.stderr and "malformed feed" in first.stderr
    second = cli("fetch", "--config", str(config), "--format", "json")
    assert second.exit_code == 0
    assert "cond: not modified, 0 matched, 0 new" in second.stderr
    requests = [
        (r.path, r.headers.get("If-None-Match"), r.headers.get("User-Agent")) for r, _ in httpserver.log
    ]
    assert [(p, etag) for p, etag, _ in requests if p == "/feed"] == [("/feed", None), ("/feed", '"v1"')]
    # A malformed feed's validators are not kept: the next run fetches it whole again.
    assert [(p, etag) for p, etag, _ in requests if p == "/trunc"] == [("/trunc", None), ("/trunc", None)]
    assert all(agent.startswith("mentionscan/") for _, _, agent in requests)


def fetch(config: Any, **options: Any) -> Any:
    """A fetch run through the library, as `mentionscan fetch` makes it."""
    with open_store(config.settings.database, lock_timeout=config.settings.lock_timeout) as store:
        return run_fetch(config, store, **options)
