"""The README's alert recipes, as written: their tables parse, their URLs name the services they say,
and the webhook receiver script takes mentionscan's signed POSTs (and refuses a forged one)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.config.load import parse_config
from mentionscan.delivery.channels import open_channel
from tests.conftest import ROOT, Cli
from tests.mailtools import QUERIES, free_port, serve_feeds
from tests.notifytools import Receiver
from tests.test_cron import BIN, cron_env, crontab, run_shell


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section:alerts -->", 1)[1].split("<!-- /section:alerts -->", 1)[0]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), re.DOTALL)


def exports() -> dict[str, str]:
    found = {}
    for block in blocks("sh"):
        for name, value in re.findall(r"^export (\w+)='([^']+)'", block, re.MULTILINE):
            found[name] = value
    return found


def test_every_toml_block_of_the_section_is_a_valid_config(tmp_path: Path) -> None:
    names = []
    for block in blocks("toml"):
        data = tomllib.loads(block)
        data["queries"] = [{"name": n, "match": m} for n, m in {**QUERIES, "acme-support": "x"}.items()]
        names += [c.name for c in parse_config(data, tmp_path / "config.toml").notify]
    assert names == ["team-slack", "crm", "team-slack", "discord", "phone", "crm"]


@pytest.mark.parametrize(
    ("variable", "service"),
    [("SLACK_WEBHOOK_URL", "Slack"), ("DISCORD_WEBHOOK_URL", "Discord"), ("NTFY_URL", "ntfy")],
)
def test_the_recipes_urls_reach_the_service_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, service: str
) -> None:
    monkeypatch.setenv(variable, exports()[variable])
    data = {"queries": [{"name": "acme", "match": "acme"}], "notify": [{"name": "c", "url_env": variable}]}
    config = parse_config(data, tmp_path / "config.toml")
    channel = open_channel(config, config.notify[0])  # nothing is sent
    assert channel.service == service


def wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the receiver did not start")


@pytest.mark.slow
def test_the_webhook_receiver_script_runs_as_written(
    cli: Cli,
    httpserver: HTTPServer,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    [script] = blocks("python")
    receiver = tmp_path / "receive.py"
    receiver.write_text(script, encoding="utf-8")
    port = free_port()
    crm = next(b for b in blocks("toml") if 'url = "http://127.0.0.1:8787/"' in b)
    monkeypatch.setenv("CRM_WEBHOOK_SECRET", "a-shared-secret")
    config = write_config(QUERIES, serve_feeds(httpserver), extra="\n" + crm.replace("8787", str(port)))
    process = subprocess.Popen(
        [sys.executable, str(receiver), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"CRM_WEBHOOK_SECRET": "a-shared-secret", "PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for(port, process)
        sent = cli("fetch", "--config", str(config), "--notify", "--quiet")
        assert sent.exit_code == 0, sent.stderr
        forged = urllib.request.Request(
            f"http://127.0.0.1:{port}/",
            data=b'{"id": "x"}',
            headers={"X-Mentionscan-Signature": "0" * 64, "X-Mentionscan-Event": "mention"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=5)
        assert refused.value.code == 401
        body = json.dumps({"event": "test"}).encode()
        signed = hmac.new(b"a-shared-secret", body, hashlib.sha256).hexdigest()
        test = urllib.request.Request(
            f"http://127.0.0.1:{port}/",
            data=body,
            headers={"X-Mentionscan-Signature": signed, "X-Mentionscan-Event": "test"},
        )
        assert urllib.request.urlopen(test, timeout=5).status == 204
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    stored = cli.json("list", "--config", str(config), "--all", "--format", "json")
    assert sorted(out.splitlines()) == sorted(f"{r['id']} {r['title']} {r['url']}" for r in stored)


@pytest.mark.slow
def test_the_crontab_recipe_sends_each_mention_once_and_says_which_variable_is_missing(
    httpserver: HTTPServer, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    variables, command = crontab(blocks("crontab")[0])
    assert command == "mentionscan fetch --quiet --notify >/dev/null"
    assert set(variables) == {"PATH", "MENTIONSCAN_CONFIG", "SLACK_WEBHOOK_URL"}
    slack = next(b for b in blocks("toml") if 'name = "team-slack"' in b and "queries" not in b)
    team = Receiver(httpserver, "/hooks/slack-shaped-token")
    config = write_config(QUERIES, serve_feeds(httpserver), extra="\n" + slack)
    # The crontab as written; its Slack address a Slack-shaped one here (Mattermost's), on 127.0.0.1.
    here = {**variables, "SLACK_WEBHOOK_URL": f"mmost://127.0.0.1:{httpserver.port}/slack-shaped-token"}
    env = {k: v for k, v in cron_env().items() if k not in ("SLACK_WEBHOOK_URL", "MENTIONSCAN_CONFIG")}
    env = {**env, **here, "PATH": f"{BIN}:{variables['PATH']}", "MENTIONSCAN_CONFIG": str(config)}

    # A crontab without the variable's line (the shell's exports are not there): the fetch goes on.
    without = run_shell(command, {k: v for k, v in env.items() if k != "SLACK_WEBHOOK_URL"}, tmp_path)
    assert (without.returncode, without.stdout) == (3, b"")
    message = (
        "Error: notify team-slack: environment variable SLACK_WEBHOOK_URL is not set (the channel's URL); "
        "4 mentions wait for the next run"
    )
    assert without.stderr.decode().strip() == message
    assert " ".join(message.split()) in " ".join(section().split())  # as the README quotes it
    assert not team.posted

    for _ in range(2):
        run = run_shell(command, env, tmp_path)
        assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")  # cron has nothing to mail
    [sent] = team.accepted
    assert sent.text.count(" · id ") == 4  # each mention once, the first run with the variable


@pytest.mark.slow
def test_the_ntfy_crontab_lines_push_what_was_found_since_the_last_push_once(
    httpserver: HTTPServer, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    first, phone_lines = blocks("crontab")
    variables, fetch = crontab(first)
    phone_variables, command = crontab(phone_lines)
    assert command == "mentionscan notify --quiet"
    assert phone_variables == {"NTFY_URL": exports()["NTFY_URL"]}  # the address of the recipe's export
    phone = next(b for b in blocks("toml") if 'name = "phone"' in b)
    pushes = Receiver(httpserver, "/")
    config = write_config(QUERIES, serve_feeds(httpserver), extra="\n" + phone)
    topic = phone_variables["NTFY_URL"].removeprefix("ntfys://ntfy.sh/")  # the same topic, on 127.0.0.1
    env = {k: v for k, v in cron_env().items() if k != "MENTIONSCAN_CONFIG"}
    env.update(PATH=f"{BIN}:{variables['PATH']}", MENTIONSCAN_CONFIG=str(config))
    env["NTFY_URL"] = f"ntfy://127.0.0.1:{httpserver.port}/{topic}"

    assert run_shell(command, env, tmp_path).returncode == 0  # the channel starts: none of the history
    assert run_shell(fetch, env, tmp_path).returncode == 0  # every ten minutes: a digest channel waits
    assert not pushes.posted
    for _ in range(2):
        run = run_shell(command, env, tmp_path)
        assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")
    [push] = pushes.accepted
    assert push.json()["topic"] == topic
    assert push.json()["title"] == "mentionscan: 4 new mentions (acme 3, acme-support 1)"


@pytest.mark.slow
def test_the_systemd_units_send_each_mention_once_with_the_url_from_their_env_file(
    httpserver: HTTPServer, write_config: Callable[..., Path], isolated_home: Path, tmp_path: Path
) -> None:
    service, timer = blocks("ini")
    assert service.startswith("# mentionscan-notify.service") and timer.startswith(
        "# mentionscan-notify.timer"
    )
    assert "OnCalendar=*:0/10" in timer
    settings = [line.split("=", 1) for line in service.splitlines() if "=" in line and line[0] != "#"]
    home = str(isolated_home)
    environment = dict(v.replace("%h", home).split("=", 1) for k, v in settings if k == "Environment")
    [env_file] = [Path(v.replace("%h", home)) for k, v in settings if k == "EnvironmentFile"]
    [exec_start] = [v for k, v in settings if k == "ExecStart"]
    assert set(environment) == {"PATH", "MENTIONSCAN_CONFIG"}
    # The env file as the README describes it, its Slack address a Slack-shaped one on 127.0.0.1.
    assert "`SLACK_WEBHOOK_URL=https://hooks.slack.com/services/...`" in section()
    env_file.parent.mkdir(parents=True)
    env_file.write_text(f"SLACK_WEBHOOK_URL=mmost://127.0.0.1:{httpserver.port}/slack-shaped-token\n")
    team = Receiver(httpserver, "/hooks/slack-shaped-token")
    slack = next(b for b in blocks("toml") if 'name = "team-slack"' in b and "queries" not in b)
    written = write_config(QUERIES, serve_feeds(httpserver), extra="\n" + slack)
    Path(environment["MENTIONSCAN_CONFIG"]).write_text(
        written.read_text().replace('"mentions.json"', json.dumps(str(tmp_path / "db.json")))
    )
    file_env = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    env = {**cron_env(**environment, **file_env), "PATH": f"{BIN}:{environment['PATH']}"}

    for _ in range(2):
        run = subprocess.run(
            shlex.split(exec_start), env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
        )
        assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")
    [message] = team.accepted
    assert message.text.count(" · id ") == 4
