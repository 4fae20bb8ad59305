"""Helpers for the site-search source tests: fixtures, what the server was asked, what was stored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request

from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.conftest import FIXTURES

FAST = 6000  # rate_per_minute in tests: the sites' own pacing would make every test wait
USER_AGENT = "mentionscan-test/1.0 (+https://example.org/contact)"
SETTINGS = {"user_agent": USER_AGENT}


def fixture_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def asked(httpserver: HTTPServer) -> list[Request]:
    """Every request the server received, in order."""
    return [request for request, _response in httpserver.log]


def params(request: Request) -> dict[str, str]:
    return dict(request.args.items())


def record_id(url_key: str) -> str:
    """The id a mention gets from its canonical-URL key (README: the first 12 hex of its SHA-256)."""
    return hashlib.sha256(f"u:{url_key}".encode()).hexdigest()[:12]


def stored(config: Path) -> dict[str, Mention]:
    """The mentions in the database next to `config` (write_config puts it there), by URL."""
    with open_store(config.parent / "mentions.json", write=False) as store:
        return {m.url: m for m in list(store.mentions())}


def stored_state(config: Path, name: str) -> dict[str, Any]:
    with open_store(config.parent / "mentions.json", write=False) as store:
        return store.state(name)


def records(stdout: str) -> dict[str, dict[str, Any]]:
    """`fetch --format json` output by URL, without `found_at` (the time of the run)."""
    out = {}
    for record in json.loads(stdout):
        record.pop("found_at")
        out[record["url"]] = record
    return out


def parse_job_after_pickling(config: Path) -> Any:
    """Run the first task of the config's only source and its ParseJob after a pickle round trip.

    The pipeline may parse feeds in a process pool: a job must survive being pickled.
    """
    import pickle

    from mentionscan.config.load import load_config
    from mentionscan.fetching.http import HttpClient
    from mentionscan.fetching.run import build_sources, query_plans
    from mentionscan.sources.interface import TaskState

    cfg = load_config(config)
    (source,) = build_sources(cfg)
    plans = {plan.name: plan for plan in query_plans(cfg)}
    task = source.tasks(list(plans.values()))[0]
    with HttpClient(cfg.settings) as client:
        result = source.run(task, plans[task.query] if task.query else None, client, TaskState())
    assert result.parse is not None
    return pickle.loads(pickle.dumps(result.parse))()
