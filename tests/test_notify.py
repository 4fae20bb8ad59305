"""`fetch --notify` and `notify`: real services on 127.0.0.1, each channel's record of what it took.

The receivers are pytest-httpserver endpoints shaped as apprise's plugins address them
(`json://`, `ntfy://`, `mmost://`) and our own webhook; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from mentionscan.delivery.notify import ChannelState
from mentionscan.store import open_store
from mentionscan.timeutil import utcnow
from tests.conftest import Cli
from tests.followuptools import POSTS, Post, local_base, rss
from tests.mailtools import free_port
from tests.notifytools import Receiver, ids_in, notify_table

QUERIES = {"acme": "acme", "support": "tag:acmequestion"}
MATCHED = 4  # of POSTS: every one but the gardening notes


def serve(httpserver: HTTPServer, posts: list[Post]) -> str:
    """The blog feed at /feed/, serving whatever `posts` holds at each request."""
    base = local_base(httpserver)
    httpserver.expect_request("/feed/").respond_with_handler(
        lambda request: Response(rss(base, posts), content_type="application/rss+xml")
    )
    return base


@pytest.fixture
def blog(httpserver: HTTPServer, write_config: Callable[..., Path]) -> Callable[..., Path]:
    """A config with the blog feed and the `[[notify]]` tables given."""

    def make(*channels: str, posts: list[Post] | None = None, settings: dict[str, Any] | None = None) -> Path:
        base = serve(httpserver, posts if posts is not None else list(POSTS))
        source = {"name": "blog", "type": "feed", "url": base + "/feed/"}
        return write_config(QUERIES, [source], settings=settings, extra="".join(channels))

    return make


@pytest.fixture(autouse=True)
def quick_retries(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The waits between tries, shortened: what is tested is how many tries, and when each gives up."""
    if "real_waits" not in request.keywords:
        monkeypatch.setattr("mentionscan.delivery.notify.RETRY_DELAYS", (0.01, 0.01))


def port(httpserver: HTTPServer) -> int:
    return int(httpserver.port)


def records(cli: Cli, config: Path) -> list[dict[str, Any]]:
    return cli.json("list", "--config", str(config), "--all", "--format", "json")  # type: ignore[no-any-return]


def channel_state(config: Path, name: str, database: str = "mentions.json") -> ChannelState:
    location = database if database.startswith("sqlite:///") else config.parent / database
    with open_store(location, write=False) as store:
        return store.read_state(ChannelState, name)


def test_fetch_notify_sends_the_new_mentions_once_and_never_again(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    config = blog(notify_table("team", url_env="TEAM_URL"))

    fetched = cli("fetch", "--config", str(config), "--notify")

    assert fetched.exit_code == 0, fetched.stderr
    assert "team (JSON): 4 mentions in 1 message" in fetched.stderr
    [message] = team.accepted
    assert message.json()["title"] == "mentionscan: 4 new mentions (acme 4)"
    assert set(ids_in(team.texts(), [r["id"] for r in records(cli, config)]).values()) == {1}

    again = cli("notify", "--config", str(config))
    assert again.exit_code == 0, again.stderr
    assert again.stderr.strip() == "team (JSON): nothing new"
    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0
    assert len(team.posted) == 1  # nothing new found, nothing sent


def test_each_service_gets_its_own_markup_and_title(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = f"127.0.0.1:{port(httpserver)}"
    mattermost = Receiver(httpserver, "/hooks/mm-token-123456")
    ntfy = Receiver(httpserver, "/")
    monkeypatch.setenv("MM_URL", f"mmost://{here}/mm-token-123456")
    monkeypatch.setenv("NTFY_URL", f"ntfy://{here}/acme-mentions")
    config = blog(notify_table("mm", url_env="MM_URL"), notify_table("phone", url_env="NTFY_URL"))

    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0

    base = local_base(httpserver)
    # Mattermost draws Markdown: the title is a link, punctuation of web text is escaped.
    [mm] = mattermost.accepted
    assert f"**[Acme broke my build](<{base}/posts/broke>)**" in mm.text
    assert "Acme 2\\.3 broke my CI build\\. Anyone else\\?" in mm.text
    assert mm.json()["username"] == "mentionscan"
    # ntfy shows text as it is: the title, then its address; the headline is the title.
    [note] = ntfy.accepted
    assert note.json()["topic"] == "acme-mentions"
    assert note.json()["title"] == "mentionscan: 4 new mentions (acme 4)"
    assert f"Acme broke my build\n{base}/posts/broke\n" in note.text
    assert "Acme 2.3 broke my CI build. Anyone else?" in note.text


def test_the_webhook_posts_each_mention_as_its_json_record_signed_with_the_secret(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = Receiver(httpserver, "/crm/hooks")
    monkeypatch.setenv("CRM_SECRET", "s3cret-for-hmac")
    table = notify_table(
        "crm", type="webhook", url=f"http://127.0.0.1:{port(httpserver)}/crm/hooks", secret_env="CRM_SECRET"
    )
    config = blog(table)

    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0

    stored = {r["id"]: r for r in records(cli, config)}
    assert len(crm.accepted) == MATCHED == len(stored)
    for posted in crm.accepted:
        expected = hmac.new(b"s3cret-for-hmac", posted.body, hashlib.sha256).hexdigest()
        assert posted.headers["X-Mentionscan-Signature"] == expected
        assert posted.headers["X-Mentionscan-Event"] == "mention"
        assert posted.headers["Content-Type"] == "application/json; charset=utf-8"
        assert posted.headers["User-Agent"].startswith("mentionscan/")
        record = posted.json()
        assert record == stored[record["id"]]  # exactly what `list --format json` prints


def test_a_plain_http_url_in_url_env_gets_our_json_unsigned_and_queries_route_it(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = Receiver(httpserver, "/zap/catch/1")
    monkeypatch.setenv("HOOK_URL", f"http://127.0.0.1:{port(httpserver)}/zap/catch/1")
    config = blog(notify_table("zapier", url_env="HOOK_URL", queries=["support"]))

    result = cli("fetch", "--config", str(config), "--notify")

    assert result.exit_code == 0, result.stderr
    assert "zapier (webhook): 1 mention in 1 request" in result.stderr
    [posted] = hook.accepted
    assert "X-Mentionscan-Signature" not in posted.headers
    assert posted.json()["title"] == "Acme again: still broken"  # the one tagged acmequestion
    assert posted.json()["queries"] == ["acme", "support"]


@pytest.mark.parametrize("database", ["mentions.json", "sqlite"])
def test_a_channel_that_answers_500_gets_the_same_mentions_next_run_and_never_twice(
    cli: Cli,
    httpserver: HTTPServer,
    blog: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database: str,
) -> None:
    location = f"sqlite:///{tmp_path / 'mentions.db'}" if database == "sqlite" else database
    team = Receiver(httpserver, "/hooks/tok-SECRET-0123456789", answers=[500, 500, 500])
    monkeypatch.setenv("TEAM_URL", f"mmost://127.0.0.1:{port(httpserver)}/tok-SECRET-0123456789")
    config = blog(notify_table("team", url_env="TEAM_URL"), settings={"database": location})

    down = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert down.exit_code == 3
    assert down.stderr.splitlines() == [
        "Error: notify team (Mattermost): Mattermost answered HTTP 500 Internal Server Error "
        "(after 3 tries); 4 mentions wait for the next run"
    ]
    assert "SECRET" not in down.stdout + down.stderr
    assert len(team.posted) == 3 and not team.accepted
    assert channel_state(config, "team", location).pending  # kept, by id

    back = cli("notify", "--config", str(config))

    assert back.exit_code == 0, back.stderr
    assert "team (Mattermost): 4 mentions in 1 message" in back.stderr
    assert set(ids_in(team.texts(), [r["id"] for r in records(cli, config)]).values()) == {1}
    assert cli("notify", "--config", str(config)).exit_code == 0
    assert len(team.accepted) == 1
    assert channel_state(config, "team", location).pending == ()


@pytest.mark.slow
@pytest.mark.real_waits
def test_a_500_that_passes_within_the_run_is_sent_once_after_a_pause(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json", answers=[503])
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    config = blog(notify_table("team", url_env="TEAM_URL"))

    result = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert result.exit_code == 0, result.stderr
    assert len(team.posted) == 2 and len(team.accepted) == 1
    assert team.posted[1].at - team.posted[0].at >= 1.0  # RETRY_DELAYS[0]


@pytest.mark.slow
def test_a_429_with_a_short_retry_after_is_waited_out(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = Receiver(httpserver, "/crm", answers=[(429, {"Retry-After": "1"})])
    config = blog(notify_table("crm", type="webhook", url=f"http://127.0.0.1:{port(httpserver)}/crm"))

    result = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert result.exit_code == 0, result.stderr
    assert len(crm.accepted) == MATCHED and len(crm.posted) == MATCHED + 1
    first, second = crm.posted[:2]
    assert first.body == second.body  # the same mention again, after the pause it asked for
    assert second.at - first.at >= 1.0


def test_a_429_asking_for_an_hour_pauses_the_channel_until_then(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = Receiver(httpserver, "/crm", answers=[(429, {"Retry-After": "3600"})])
    config = blog(notify_table("crm", type="webhook", url=f"http://127.0.0.1:{port(httpserver)}/crm"))

    limited = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert limited.exit_code == 3
    assert limited.stderr.splitlines() == [
        "Error: notify crm (webhook): the webhook answered HTTP 429 Too Many Requests, retry after 3600 s; "
        "4 mentions wait for the next run"
    ]
    assert len(crm.posted) == 1  # not retried: an hour is not waited for in a run
    paused = cli("notify", "--config", str(config))
    assert paused.exit_code == 0, paused.stderr
    assert "crm (webhook): 4 mentions wait: the service asked for a pause: next try after" in paused.stderr
    assert len(crm.posted) == 1


def test_a_chat_service_address_apprise_does_not_know_is_told_to_use_its_apprise_url(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mattermost's own address for an incoming webhook: apprise knows it only as mmost(s)://
    chat = Receiver(httpserver, "/hooks/mm-token-7f3kq9", answers=[400])
    monkeypatch.setenv("CHAT_URL", f"http://127.0.0.1:{port(httpserver)}/hooks/mm-token-7f3kq9")
    config = blog(notify_table("chat", url_env="CHAT_URL"))

    result = cli("notify", "--config", str(config), "--test", "chat")

    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "Error: notify chat (webhook): the webhook answered HTTP 400 Bad Request; the address got our "
        "webhook JSON, as apprise knows no service there: for a chat service, use its apprise URL "
        "(mmosts://, msteams://, ...; README: Alerts)"
    )
    assert len(chat.posted) == 1


def test_a_webhook_from_the_environment_that_is_down_is_named_with_the_reason(
    cli: Cli, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_URL", f"http://127.0.0.1:{free_port()}/catch/tok-5f2a9c")
    config = blog(notify_table("zapier", url_env="HOOK_URL", queries=["support"]))

    result = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert result.exit_code == 3
    # the reason, not the URL (nor a mask where it stood): the URL is the channel's secret
    assert result.stderr.strip() == (
        "Error: notify zapier (webhook): connection refused; 1 mention waits for the next run"
    )


def test_two_channels_one_down_the_working_one_is_not_held_back(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = f"127.0.0.1:{port(httpserver)}"
    down = Receiver(httpserver, "/hooks/down-token", answers=[502, 502, 502])
    up = Receiver(httpserver, "/apprise/up")
    monkeypatch.setenv("DOWN_URL", f"mmost://{here}/down-token")
    monkeypatch.setenv("UP_URL", f"json://{here}/apprise/up")
    config = blog(notify_table("down", url_env="DOWN_URL"), notify_table("up", url_env="UP_URL"))

    first = cli("fetch", "--config", str(config), "--notify")

    assert first.exit_code == 3
    assert "up (JSON): 4 mentions in 1 message" in first.stderr
    assert len(up.accepted) == 1 and not down.accepted

    second = cli("notify", "--config", str(config))

    assert second.exit_code == 0, second.stderr
    assert "down (Mattermost): 4 mentions in 1 message" in second.stderr
    assert "up (JSON): nothing new" in second.stderr
    assert len(up.posted) == 1 and len(down.accepted) == 1


def test_a_webhook_that_fails_halfway_gets_only_the_rest_next_time(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = Receiver(httpserver, "/crm", answers=[200, 400])
    config = blog(notify_table("crm", type="webhook", url=f"http://127.0.0.1:{port(httpserver)}/crm"))

    first = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert first.exit_code == 3
    assert "the webhook answered HTTP 400 Bad Request; 3 mentions wait" in first.stderr
    assert len(crm.posted) == 2  # a 400 is not retried: the same request would be refused again
    assert cli("notify", "--config", str(config)).exit_code == 0
    sent = [p.json()["id"] for p in crm.accepted]
    assert len(sent) == MATCHED == len(set(sent))


def test_a_digest_channel_waits_for_notify_and_gets_one_message(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = Receiver(httpserver, "/apprise/daily")
    monkeypatch.setenv("DAILY_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/daily")
    config = blog(notify_table("daily", url_env="DAILY_URL", mode="digest"), settings={"notify": True})

    fetched = cli("fetch", "--config", str(config))  # notify = true in [settings]

    assert fetched.exit_code == 0, fetched.stderr
    assert 'daily (JSON): 4 mentions wait: mode = "digest"' in fetched.stderr
    assert not daily.posted
    assert cli("notify", "--config", str(config)).exit_code == 0
    assert len(daily.accepted) == 1
    assert cli("fetch", "--config", str(config), "--no-notify", "--quiet").exit_code == 0
    assert len(daily.posted) == 1


def test_a_mention_ignored_before_its_channels_turn_is_not_sent(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = Receiver(httpserver, "/apprise/daily")
    monkeypatch.setenv("DAILY_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/daily")
    config = blog(notify_table("daily", url_env="DAILY_URL", mode="digest"))
    assert cli("notify", "--config", str(config)).exit_code == 0  # the channel starts
    assert cli("fetch", "--config", str(config), "--quiet").exit_code == 0
    spam, *kept = [r["id"] for r in records(cli, config)]
    assert cli("mark", "--config", str(config), spam, "ignored").exit_code == 0

    sent = cli("notify", "--config", str(config))

    assert sent.exit_code == 0, sent.stderr
    assert sent.stderr.strip() == "daily (JSON): 3 mentions in 1 message"
    assert len(daily.accepted) == 1
    assert ids_in(daily.texts(), [spam, *kept]) == {spam: 0, **{i: 1 for i in kept}}
    assert cli("mark", "--config", str(config), spam, "new").exit_code == 0  # ignored it was had
    assert cli("notify", "--config", str(config)).stderr.strip() == "daily (JSON): nothing new"


def test_min_interval_batches_what_comes_faster_into_one_later_message(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    posts = list(POSTS)
    config = blog(notify_table("team", url_env="TEAM_URL", min_interval="1h"), posts=posts)
    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0
    posts.append(Post("/posts/new", "Acme 2.4 is out", "Acme fixed the export", hours_ago=0))
    posts.append(Post("/posts/newer", "Acme on a Sunday", "More acme", hours_ago=0))

    soon = cli("fetch", "--config", str(config), "--notify")

    assert soon.exit_code == 0, soon.stderr
    assert "team (JSON): 2 mentions wait: min_interval: the next message after" in soon.stderr
    assert len(team.posted) == 1
    with open_store(config.parent / "mentions.json", write=True) as store:  # an hour passes
        state = store.read_state(ChannelState, "team")
        assert state.last_sent is not None
        store.write_state(
            ChannelState.from_dict({**state.to_dict(), "last_sent": "2000-01-01T00:00:00Z"}), "team"
        )
        store.save()
    later = cli("notify", "--config", str(config))
    assert later.exit_code == 0, later.stderr
    assert len(team.accepted) == 2
    assert team.accepted[1].json()["title"] == "mentionscan: 2 new mentions (acme 2)"


def test_min_interval_does_not_hold_back_a_cron_run_that_comes_a_few_seconds_early(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    posts = list(POSTS)
    config = blog(notify_table("team", url_env="TEAM_URL", min_interval="10m"), posts=posts)
    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0
    posts.append(Post("/posts/new", "Acme 2.4 is out", "Acme fixed the export", hours_ago=0))

    def sent_ago(seconds: int) -> None:
        with open_store(config.parent / "mentions.json", write=True) as store:
            state = store.read_state(ChannelState, "team")
            assert state.last_sent is not None
            store.write_state(replace(state, last_sent=utcnow() - timedelta(seconds=seconds)), "team")
            store.save()

    sent_ago(8 * 60)  # cron's runs 10 minutes apart cannot be this close
    early = cli("fetch", "--config", str(config), "--notify")
    assert "team (JSON): 1 mention waits: min_interval" in early.stderr
    sent_ago(10 * 60 - 25)  # the last run's message went out 25 s into its fetch

    on_time = cli("fetch", "--config", str(config), "--notify")

    assert on_time.exit_code == 0, on_time.stderr
    assert "team (JSON): 1 mention in 1 message" in on_time.stderr
    assert len(team.accepted) == 2


def test_a_dry_run_prints_the_messages_and_sends_and_records_nothing(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/hooks/secret-token-42", answers=[500, 500, 500])
    monkeypatch.setenv("TEAM_URL", f"mmost://127.0.0.1:{port(httpserver)}/secret-token-42")
    config = blog(notify_table("team", url_env="TEAM_URL"))
    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 3
    before = channel_state(config, "team")

    preview = cli("notify", "--config", str(config), "--dry-run")

    assert preview.exit_code == 0, preview.stderr
    head, first = preview.stdout.splitlines()[:2]
    assert head == "--- team (Mattermost) · message 1 of 1 · mentionscan: 4 new mentions (acme 4)"
    assert first.startswith("**[Acme broke my build]")
    assert "team (Mattermost): 1 message to send (dry run: nothing sent, nothing recorded)" in preview.stderr
    assert "secret-token" not in preview.stdout + preview.stderr
    assert len(team.posted) == 3 and channel_state(config, "team") == before


def test_a_dry_run_of_a_new_channel_says_why_it_has_nothing_to_send(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    config = blog(notify_table("team", url_env="TEAM_URL"))

    preview = cli("notify", "--config", str(config), "--dry-run")

    assert preview.exit_code == 0, preview.stderr
    assert preview.stderr.strip().splitlines()[-1] == (  # after "no database at ... yet (fetch makes it)"
        "team (JSON): nothing to send, as a new channel gets what is found from its first run on "
        "(--test team sends a sample) (dry run: nothing sent, nothing recorded)"
    )


def test_notify_test_sends_one_test_message_and_records_nothing(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    crm = Receiver(httpserver, "/crm", answers=[404])
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    crm_url = f"http://127.0.0.1:{port(httpserver)}/crm"
    config = blog(notify_table("team", url_env="TEAM_URL"), notify_table("crm", type="webhook", url=crm_url))

    ok = cli("notify", "--config", str(config), "--test", "team")

    assert ok.exit_code == 0, ok.stderr
    assert ok.stderr.strip() == "Test message sent to team (JSON)"
    [message] = team.accepted
    assert message.json()["title"] == "mentionscan: test message"
    assert "channel team works" in message.text
    assert not (config.parent / "mentions.json").exists()  # nothing recorded, not even a database

    refused = cli("notify", "--config", str(config), "--test", "crm")
    assert refused.exit_code == 3
    assert (
        refused.stderr.strip()
        == "Error: notify crm (webhook): the webhook answered HTTP 404 Not Found: check the URL"
    )
    assert crm.posted[0].headers["X-Mentionscan-Event"] == "test"
    typo = cli("notify", "--config", str(config), "--test", "tem")
    assert typo.exit_code == 2
    assert "no [[notify]] channel named 'tem' (did you mean 'team'?)" in typo.stderr


def test_a_channel_whose_variable_is_not_set_fails_alone_and_gets_its_mentions_once_it_is(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As under cron, when the shell that tested the channel exported its URL and the crontab does not.
    up = Receiver(httpserver, "/apprise/up")
    team = Receiver(httpserver, "/apprise/team")
    monkeypatch.setenv("UP_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/up")
    config = blog(notify_table("team", url_env="TEAM_URL"), notify_table("up", url_env="UP_URL"))

    result = cli("fetch", "--config", str(config), "--notify", "--quiet")

    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "Error: notify team: environment variable TEAM_URL is not set (the channel's URL); "
        "4 mentions wait for the next run"
    )
    assert len(records(cli, config)) == MATCHED  # the fetch stored everything
    assert len(up.accepted) == 1  # and the channel that works is not held back

    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/team")
    later = cli("notify", "--config", str(config))

    assert later.exit_code == 0, later.stderr
    assert "team (JSON): 4 mentions in 1 message" in later.stderr
    assert len(up.posted) == 1 and len(team.accepted) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "slak://T000-SECRET/B000/XXXXSECRETXXXX",
            "TEAM_URL holds a slak:// URL, which apprise does not know (did you mean 'slack'?)",
        ),
        (
            "hooks.slack.com/services/T0/B0/XSECRETX",
            "TEAM_URL does not hold a URL (it needs a scheme, such as slack://)",
        ),
        ("ftp://127.0.0.1/SECRET-PATH-123", "TEAM_URL holds a ftp:// URL, which apprise does not know"),
    ],
)
def test_a_url_of_no_known_kind_is_a_config_error_that_never_shows_the_url(
    cli: Cli, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("TEAM_URL", url)
    config = blog(notify_table("team", url_env="TEAM_URL"))

    result = cli("notify", "--config", str(config))

    assert result.exit_code == 2
    assert result.stderr.strip() == f'Error: {config}: [[notify]] #1 ("team"): {message}'
    assert "SECRET" not in result.stdout + result.stderr


def test_long_batches_are_split_to_the_service_limit_whole_mentions_only(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/hooks/tok")
    monkeypatch.setenv("TEAM_URL", f"mmost://127.0.0.1:{port(httpserver)}/tok")
    many = [
        Post(
            f"/posts/{n}",
            f"Acme review number {n}: " + "a long title " * 12,
            "acme " + "words " * 80,
            hours_ago=n,
        )
        for n in range(40)
    ]
    config = blog(notify_table("team", url_env="TEAM_URL", max_messages=50), posts=many)

    assert cli("fetch", "--config", str(config), "--notify", "--quiet").exit_code == 0

    texts = team.texts()
    assert len(texts) > 3
    assert all(len(text) <= 4000 for text in texts)  # Mattermost's limit, title included
    assert texts[0].startswith(f"mentionscan: 40 new mentions (acme 40) (1/{len(texts)})\r\n")
    counts = ids_in(texts, [r["id"] for r in records(cli, config)])
    assert set(counts.values()) == {1}


def test_max_messages_sums_up_the_rest_in_the_last_message(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/hooks/tok")
    monkeypatch.setenv("TEAM_URL", f"mmost://127.0.0.1:{port(httpserver)}/tok")
    many = [
        Post(f"/posts/{n}", f"Acme note {n} " + "x" * 150, "acme " + "y " * 120, hours_ago=n)
        for n in range(40)
    ]
    config = blog(notify_table("team", url_env="TEAM_URL", max_messages=2), posts=many)

    result = cli("fetch", "--config", str(config), "--notify")

    assert result.exit_code == 0, result.stderr
    first, last = team.texts()
    shown = sum(text.count("**[Acme note") for text in (first, last))
    assert last.rstrip().endswith(f"…and {40 - shown} more mentions: `mentionscan list` shows them.")
    assert "team (Mattermost): 40 mentions in 2 messages" in result.stderr
    assert cli("notify", "--config", str(config)).stderr.strip() == "team (Mattermost): nothing new"


def test_notify_with_no_channel_configured_says_how_to_add_one(cli: Cli, blog: Callable[..., Path]) -> None:
    config = blog()
    for args in (("notify",), ("fetch", "--notify")):
        result = cli(*args, "--config", str(config))
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"Error: {config}: no [[notify]] tables: add one to say where alerts go (see README)"
        )
    assert cli("fetch", "--config", str(config), "--notify", "--dry-run").exit_code == 2


def test_a_new_channel_starts_at_its_first_run_and_then_gets_every_fetch(
    cli: Cli, httpserver: HTTPServer, blog: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Receiver(httpserver, "/apprise/json")
    monkeypatch.setenv("TEAM_URL", f"json://127.0.0.1:{port(httpserver)}/apprise/json")
    config = blog(notify_table("team", url_env="TEAM_URL"))

    first = cli("notify", "--config", str(config))

    assert first.exit_code == 0, first.stderr
    assert (
        first.stderr.strip() == f"new database {config.parent / 'mentions.json'}\n"
        "team (JSON): a new channel: it gets what is found from now on (nothing before)"
    )
    assert cli("fetch", "--config", str(config), "--quiet").exit_code == 0  # stored, not sent
    assert not team.posted
    later = cli("notify", "--config", str(config))
    assert later.stderr.strip() == "team (JSON): 4 mentions in 1 message"
