"""`mentionscan sources` and `mentionscan doctor`, through the real CLI, against servers on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from mentionscan.sources import SOURCE_TYPES
from tests.conftest import Cli
from tests.sourcetools import FAST, asked, fixture_json, params

HOOT = "mastodon/timelines_tag_hoot_mastodonpy_cassette.json"
ARTICLES = "devto/devto_api_articles_tag_go_2026_godaily.json"


def row(stdout: str, name: str) -> list[str]:
    """The cells of the doctor table's row for source `name`."""
    line = next(line for line in stdout.splitlines() if line.startswith(name + " "))
    return re.split(r"\s{2,}", line.strip())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- sources -------------------------------------------------------------------------------------


def test_sources_lists_every_registered_type_with_what_it_asks_and_needs(cli: Cli) -> None:
    result = cli("sources")

    assert result.exit_code == 0
    for cls in SOURCE_TYPES.values():
        assert f"{cls.type}: {cls.summary}\n  needs: {cls.needs}\n" in result.stdout
    assert re.search(
        r"^  instance +\(required\) the instance's URL, like https://mastodon.social$", result.stdout, re.M
    )
    assert re.search(r"^  token_env +environment variable holding an access token", result.stdout, re.M)
    assert re.search(
        r"^  app_password_env +\(required\) environment variable holding an app password", result.stdout, re.M
    )
    assert re.search(r"^  limit +results per request, 1 to 50 \[default: 50\]$", result.stdout, re.M)
    assert "may have enabled, base_url, rate_per_minute." in result.stdout
    assert "needs: nothing for tag: queries; an access token (token_env) for word search" in result.stdout


def test_sources_can_show_one_type_and_names_the_types_when_one_is_unknown(cli: Cli) -> None:
    one = cli("sources", "lemmy")
    assert one.exit_code == 0
    assert one.stdout.startswith("lemmy: an instance's /api/v3/search")
    assert "mastodon:" not in one.stdout

    unknown = cli("sources", "mastodn")
    assert unknown.exit_code == 2
    assert "Error: no source type 'mastodn' (one of: feed, " in unknown.stderr
    assert unknown.stdout == ""


# --- doctor --------------------------------------------------------------------------------------


@pytest.fixture
def five(httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One source of each of mastodon, devto, lobsters, lemmy, bluesky, all answering."""
    monkeypatch.setenv("BSKY_PW", "app-password")
    url = httpserver.url_for
    httpserver.expect_request("/m/api/v1/timelines/tag/hoot").respond_with_json(fixture_json(HOOT))
    httpserver.expect_request("/d/api/articles").respond_with_json(fixture_json(ARTICLES))
    httpserver.expect_request("/d/api/articles/latest").respond_with_json(fixture_json(ARTICLES))
    httpserver.expect_request("/l/newest.json").respond_with_json([])
    httpserver.expect_request("/y/api/v3/search").respond_with_json({"posts": [], "comments": []})
    httpserver.expect_request("/b/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"accessJwt": "jwt"}
    )
    httpserver.expect_request("/b/xrpc/app.bsky.feed.searchPosts").respond_with_json({"posts": []})
    sources = [
        {"name": "masto", "type": "mastodon", "instance": url("/m")},
        {"name": "dev", "type": "devto", "base_url": url("/d")},
        {"name": "lob", "type": "lobsters", "base_url": url("/l")},
        {"name": "lem", "type": "lemmy", "instance": url("/y")},
        {
            "name": "sky",
            "type": "bluesky",
            "base_url": url("/b"),
            "handle": "me.test",
            "app_password_env": "BSKY_PW",
        },
        {"name": "off", "type": "lobsters", "base_url": url("/off"), "enabled": False},
    ]
    for source in sources:
        source["rate_per_minute"] = FAST
    return write_config({"support": "tag:hoot", "acme": "acme"}, sources)


@pytest.mark.shared
def test_doctor_asks_each_source_once_and_prints_ok_status_and_time(
    cli: Cli, httpserver: HTTPServer, five: Path
) -> None:
    result = cli("doctor", "--config", str(five))

    assert result.exit_code == 0, result.stdout + result.stderr
    header = re.split(r"\s{2,}", result.stdout.splitlines()[0])
    assert header == ["SOURCE", "TYPE", "RESULT", "HTTP", "TIME", "LAST OK"]
    for name, kind in [
        ("masto", "mastodon"),
        ("dev", "devto"),
        ("lob", "lobsters"),
        ("lem", "lemmy"),
        ("sky", "bluesky"),
    ]:
        cells = row(result.stdout, name)
        assert cells[:4] == [name, kind, "OK", "200"]
        assert re.fullmatch(r"\d+\.\d\d s", cells[4])
        assert cells[5] == "never"  # nothing fetched yet
    assert row(result.stdout, "off") == ["off", "lobsters", "disabled", "-", "-", "never"]
    assert "5 of 5 sources answered" in result.stderr
    by_path = {r.path: r for r in asked(httpserver)}
    assert len(asked(httpserver)) == 6  # one each, and Bluesky's login
    assert params(by_path["/m/api/v1/timelines/tag/hoot"]) == {"limit": "1"}
    # a tag query goes to the site's tag listing where it has one, and a probe asks what a fetch does
    assert params(by_path["/d/api/articles"]) == {"tag": "hoot", "top": "1", "per_page": "1"}
    assert params(by_path["/y/api/v3/search"]) == {
        "q": "hoot",
        "type_": "All",
        "sort": "New",
        "listing_type": "All",
        "limit": "1",
    }
    assert params(by_path["/b/xrpc/app.bsky.feed.searchPosts"])["limit"] == "1"
    assert by_path["/b/xrpc/app.bsky.feed.searchPosts"].headers["Authorization"] == "Bearer jwt"
    assert not any(path.startswith("/off") for path in by_path)


@pytest.mark.shared
def test_doctor_shows_the_last_successful_fetch_from_the_database(cli: Cli, five: Path) -> None:
    fetched = cli("fetch", "--config", str(five), "--source", "dev")
    assert fetched.exit_code == 0, fetched.stderr

    result = cli("doctor", "--config", str(five), "--source", "dev")

    assert result.exit_code == 0
    last_ok = row(result.stdout, "dev")[5]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", last_ok)
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["dev"]


def test_doctor_on_a_failing_server_prints_the_error_and_status_and_exits_3(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/d/api/articles/latest").respond_with_data("boom", status=500)
    path = write_config(
        {"acme": "acme"}, [{"name": "dev", "type": "devto", "base_url": httpserver.url_for("/d")}]
    )

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 3
    assert row(result.stdout, "dev")[:4] == ["dev", "devto", "FAILED", "500"]
    assert (
        "  error: http://127.0.0.1:" in result.stdout
        # the first page a fetch asks for, with one article
        and "/d/api/articles/latest?per_page=1&page=1: HTTP 500" in (result.stdout)
    )
    assert len(asked(httpserver)) == 1  # a check is one request: no retries
    assert "0 of 1 sources answered, 1 failed" in result.stderr


def test_doctor_gives_up_at_the_configured_deadline(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    import time

    def slow(request):  # answers after 3 s, within the 20 s timeout but past the 1 s deadline
        time.sleep(3)
        return Response("<rss version='2.0'><channel></channel></rss>", content_type="application/rss+xml")

    httpserver.expect_request("/slow.xml").respond_with_handler(slow)
    path = write_config(
        {"acme": "acme"},
        [{"name": "slow", "type": "feed", "url": httpserver.url_for("/slow.xml")}],
        settings={"deadline": 1, "timeout": 20},
    )

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 3
    assert row(result.stdout, "slow")[:3] == ["slow", "feed", "FAILED"]
    assert "gave up after 1 s (the server is too slow)" in result.stdout


def test_doctor_on_a_closed_port_says_connection_refused(cli: Cli, write_config) -> None:
    port = closed_port()
    path = write_config(
        {"acme": "acme"}, [{"name": "lem", "type": "lemmy", "instance": f"http://127.0.0.1:{port}"}]
    )

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 3
    assert row(result.stdout, "lem")[:4] == ["lem", "lemmy", "FAILED", "-"]
    assert f"  error: http://127.0.0.1:{port}/api/v3/search: connection refused" in result.stdout


@pytest.mark.shared
def test_a_missing_credential_fails_its_source_only(
    cli: Cli, httpserver: HTTPServer, five: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BSKY_PW")

    result = cli("doctor", "--config", str(five))

    assert result.exit_code == 3
    assert row(result.stdout, "sky")[:4] == ["sky", "bluesky", "FAILED", "-"]
    assert (
        f'error: {five}: [[sources]] #5 ("sky"): environment variable BSKY_PW is not set '
        "(a Bluesky app password)" in (result.stdout)
    )
    assert row(result.stdout, "masto")[2] == "OK"  # the others were still checked
    assert not any(r.path.startswith("/b/") for r in asked(httpserver))


def test_doctor_flags_a_source_that_failed_several_runs_in_a_row(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    failing = httpserver.expect_ordered_request
    for _ in range(3):
        failing("/d/api/articles/latest").respond_with_data("", status=403)
    failing("/d/api/articles/latest").respond_with_json([])
    path = write_config(
        {"acme": "acme"}, [{"name": "dev", "type": "devto", "base_url": httpserver.url_for("/d")}]
    )
    for _ in range(3):
        assert cli("fetch", "--config", str(path)).exit_code == 3

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 0  # it answers now; its history is still shown
    assert row(result.stdout, "dev")[2:4] == ["OK", "200"]
    assert "  has failed 3 runs in a row; last error: http://127.0.0.1:" in result.stdout
    assert "access refused (HTTP 403): dev.to refuses some clients" in result.stdout


def test_doctor_shows_when_a_rate_limited_source_will_be_asked_again(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_ordered_request("/d/api/articles/latest").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    httpserver.expect_ordered_request("/d/api/articles/latest").respond_with_json([])
    path = write_config(
        {"acme": "acme"}, [{"name": "dev", "type": "devto", "base_url": httpserver.url_for("/d")}]
    )
    assert cli("fetch", "--config", str(path)).exit_code == 3

    result = cli("doctor", "--config", str(path))

    assert re.search(
        r"^  rate limited by the site: fetch skips it until \d{4}-\d\d-\d\dT", result.stdout, re.M
    )


@pytest.mark.shared
def test_doctor_with_a_database_that_does_not_exist_yet_says_never(
    cli: Cli, five: Path, tmp_path: Path
) -> None:
    result = cli("doctor", "--config", str(five), "--db", str(tmp_path / "nowhere.json"))

    assert result.exit_code == 0
    assert row(result.stdout, "dev")[5] == "never"
    assert not (tmp_path / "nowhere").exists()  # doctor only reads


def test_sources_and_doctor_have_help(cli: Cli) -> None:
    for command in ("sources", "doctor"):
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.stdout
    assert "last successful fetch" in " ".join(cli("doctor", "--help").stdout.split())


MY_TYPES = ("mastodon", "devto", "lobsters", "lemmy", "bluesky")


def test_the_commented_examples_in_config_example_toml_are_valid_when_uncommented(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import ROOT

    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert example == (ROOT / "mentionscan" / "data" / "config.example.toml").read_text(encoding="utf-8")
    lines = []
    for paragraph in example.split("\n\n"):
        if any(f'# type = "{kind}"' in paragraph for kind in MY_TYPES):
            paragraph = re.sub(r"^# (\[\[sources\]\]|\w+ = )", r"\1", paragraph, flags=re.M)
        lines.append(paragraph)
    path = tmp_path / "uncommented.toml"
    path.write_text("\n\n".join(lines), encoding="utf-8")
    monkeypatch.setenv("MASTODON_TOKEN", "t")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "p")

    from mentionscan.config.load import load_config

    config = load_config(path)

    assert [s.type for s in config.sources if s.type in MY_TYPES] == list(MY_TYPES)
    masto = config.source("mastodon")
    assert masto.get("instance") == "https://mastodon.social" and masto.get("token_env") == "MASTODON_TOKEN"
    assert config.source("bluesky").get("app_password_env") == "BLUESKY_APP_PASSWORD"


def test_a_source_type_without_probe_is_checked_by_running_its_first_task(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mentionscan.sources.interface import TaskResult
    from mentionscan.sources.sitesource import SiteSource

    class Plain(SiteSource):
        type = "plain"
        summary = "a test type that asks one URL"

        def run(self, task, query, client, state):  # type: ignore[no-untyped-def]
            client.get(self.url("/plain"))
            return TaskResult()

    monkeypatch.setitem(SOURCE_TYPES, "plain", Plain)
    httpserver.expect_request("/p/plain").respond_with_data("ok")
    path = write_config(
        {"acme": "acme"}, [{"name": "pl", "type": "plain", "base_url": httpserver.url_for("/p")}]
    )

    result = cli("doctor", "--config", str(path))

    assert result.exit_code == 0
    assert row(result.stdout, "pl")[:4] == ["pl", "plain", "OK", "-"]  # answered; its status was not kept
    assert [r.path for r in asked(httpserver)] == ["/p/plain"]
