"""The README's alert recipes, as written: their tables parse, their URLs name the services they say,
and the webhook receiver script takes mentionscan's signed POSTs (and refuses a forged one)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
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
