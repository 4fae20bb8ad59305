"""Stack Exchange questions (Stack Overflow by default) through the API's `/2.3/search/advanced`.

A query made of `tag:` terms only is asked by tag (`tagged`); any other is asked as text (`q`).
Without a key the API allows 300 requests a day per IP; `key_env` names a key for 10,000. The
API's throttle is HTTP 400 with `error_id` 502, and any answer may carry `backoff`: the seconds
to wait before asking the same method again, which this source honours.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import Settings, SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.matching.matcher import Node, Tag, positive_terms
from mentionscan.models import Entry
from mentionscan.sources.common import (
    JSON_ACCEPT,
    SiteSource,
    error_json,
    items,
    json_object,
    newest_time,
    nothing_to_ask,
    reworded,
    scrubbed,
    since_time,
    table,
)
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import search_texts, tags_of
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

PAGE_SIZE = 100
MAX_PAGES = 3
MAX_SEARCHES = 4  # the API has no OR and a small daily quota
MAX_BACKOFF_WAIT = 60.0  # seconds; a longer `backoff` fails the source and skips it until then
THROTTLED = 502  # the API's error_id for throttle_violation
_SITE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_WAIT = re.compile(r"(\d+) seconds")


class StackExchangeSource(SiteSource):
    type = "stackexchange"
    summary = "Stack Exchange questions (search/advanced); tag: queries ask by tag"
    needs = "nothing (an API key in key_env raises the quota from 300 to 10,000 requests a day)"
    options = {
        "site": opt(str, default="stackoverflow", help="the site's API name: stackoverflow, superuser, ..."),
        "key_env": opt(str, help="environment variable holding a Stack Apps API key"),
    }
    endpoint = "https://api.stackexchange.com"
    rate_per_minute = 20  # well under the 30 a second that gets an IP banned

    def __init__(self, spec: SourceSpec, settings: Settings) -> None:
        super().__init__(spec, settings)
        self._key: str | None = None
        self._lock = threading.Lock()
        self._not_before = 0.0  # monotonic time before which `backoff` says not to ask

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        site = spec.get("site")
        if not _SITE.match(site):
            raise ConfigError(
                f"{where}: 'site' must be a site's API name like \"stackoverflow\", not {site!r}"
            )

    @property
    def api_site(self) -> str:
        return str(self.spec.get("site"))

    def prepare(self) -> None:
        self._key = self.env("key_env", "the Stack Exchange API key")

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        base: dict[str, Any] = {
            "site": self.api_site,
            "sort": "creation",
            "order": "desc",
            "pagesize": PAGE_SIZE,
            "filter": "withbody",
        }
        since = since_time(state.cursor(), self.settings)
        if since is not None:
            base["fromdate"] = int(since.timestamp())
        if self._key:
            base["key"] = self._key
        if _only_tags(query.node):
            searches = [{"tagged": ";".join(tags_of(query.node))}]
        else:
            searches = [{"q": text} for text in search_texts(query.node, "stackexchange")]
        if not searches:
            return TaskResult(warnings=[nothing_to_ask(query.name, "Stack Exchange")], requests=0)
        result = TaskResult(requests=0)
        if len(searches) > MAX_SEARCHES:
            result.warnings.append(
                f"query {query.name!r} needs {len(searches)} searches here (no OR on Stack Exchange); "
                f"only the first {MAX_SEARCHES} were asked"
            )
        found: dict[str, Entry] = {}
        for search in searches[:MAX_SEARCHES]:
            for page in range(1, MAX_PAGES + 1):
                params = {**base, **search, **({"page": page} if page > 1 else {})}
                data = self._search(client, params)
                result.requests += 1
                quota = data.get("quota_remaining")
                if isinstance(quota, int) and quota < 10:
                    result.warnings.append(f"only {quota} Stack Exchange requests left today")
                for item in items(data, "items"):
                    entry = question_entry(item, self.name, self.api_site) if isinstance(item, dict) else None
                    if entry is not None and entry.native_id:
                        found[entry.native_id] = entry
                if not data.get("has_more"):
                    break
        result.entries = list(found.values())
        cursor = newest_time(state.cursor(), (e.published for e in result.entries))
        result.cursors = {"": cursor} if cursor else None
        return result

    def _search(self, client: HttpClient, params: Mapping[str, Any]) -> dict[str, Any]:
        self._wait_turn()
        try:
            response = self._get(client, params)
        except FetchError as exc:
            raise scrubbed(self._explain(exc), self._key) from None
        data = json_object(response.body, response.url.replace(self._key or "\0", "***"), "Stack Exchange")
        backoff = data.get("backoff")
        if isinstance(backoff, int | float) and not isinstance(backoff, bool) and backoff > 0:
            with self._lock:
                self._not_before = max(self._not_before, time.monotonic() + backoff)
        return data

    def _get(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        return client.get(
            self.url("/2.3/search/advanced"),
            params=params,
            headers={"Accept": JSON_ACCEPT},
            rate_per_minute=self.host_rate,
        )

    def _wait_turn(self) -> None:
        with self._lock:
            wait = self._not_before - time.monotonic()
        if wait <= 0:
            return
        if wait > MAX_BACKOFF_WAIT:
            raise FetchError(
                f"Stack Exchange asked us to wait {wait:.0f} s before searching again (backoff)",
                retry_after=wait,
            )
        time.sleep(wait)

    def _explain(self, error: FetchError) -> FetchError:
        detail = error_json(error)
        said = ": ".join(p for p in (one_line(detail.get(k)) for k in ("error_name", "error_message")) if p)
        status = f"HTTP {error.status}" + (f", {said}" if said else "")
        if detail.get("error_id") == THROTTLED:
            wait = _WAIT.search(said)
            hint = (
                "" if self._key else ": set key_env to an API key's environment variable for a larger quota"
            )
            return reworded(
                error,
                f"Stack Exchange throttled us ({status}){hint}",
                retry_after=float(wait.group(1)) if wait else error.retry_after or 3600.0,
            )
        if error.status in (401, 403):
            advice = (
                "check the key in key_env (a Stack Apps key, for this API)"
                if self._key
                else "it needs no key, so this network is probably blocked: try again later"
            )
            return reworded(error, f"Stack Exchange refused the search ({status}): {advice}")
        if said:
            return reworded(error, f"Stack Exchange rejected the search ({status})")
        return error

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        params: dict[str, Any] = {"site": self.api_site, "pagesize": 1, "sort": "creation", "q": "a"}
        if self._key:
            params["key"] = self._key
        try:
            return self._get(client, params)
        except FetchError as exc:
            raise scrubbed(self._explain(exc), self._key) from None


def _only_tags(node: Node) -> bool:
    """Whether every term that counts for a match is a `tag:` (so the tag endpoint covers the query)."""
    terms = positive_terms(node)
    return bool(terms) and all(isinstance(t, Tag) for t in terms)


def question_entry(item: Mapping[str, Any], source: str, site: str) -> Entry | None:
    """One question of the API (default filter, or `withbody`) as an Entry."""
    question_id = item.get("question_id")
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        return None
    owner = table(item, "owner")
    tags = items(item, "tags")
    return Entry(
        source=source,
        source_type="stackexchange",
        url=safe_link(str(item.get("link") or "")),
        title=html_to_text(item.get("title") or ""),
        text=html_to_text(item.get("body") or ""),
        author=html_to_text(owner.get("display_name") or "") or None,
        author_url=safe_link(str(owner.get("link") or "")) or None,
        published=parse_time(item.get("creation_date")),
        tags=tuple(t for t in (one_line(tag) for tag in tags if isinstance(tag, str)) if t),
        native_id=f"se:{site}:q:{question_id}",
        key_scope="global",
    )
