"""GitHub issues and pull requests through `/search/issues`, newest first.

GitHub's search must say `is:issue` or `is:pull-request` (HTTP 422 otherwise, and both at once
means both), so each query is two searches. Without a token GitHub allows 10 searches a
minute, with one 30; `token_env` names the environment variable holding it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import Settings, SourceSpec, opt
from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    SiteSource,
    error_json,
    items,
    json_object,
    newest_time,
    nothing_to_ask,
    reworded,
    since_time,
    table,
)
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import to_search_text
from mentionscan.text import one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

KINDS = ("issue", "pull-request")
PER_PAGE = 100
MAX_PAGES = 3
API_VERSION = "2022-11-28"
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # issue templates are full of them


class GitHubSource(SiteSource):
    type = "github"
    summary = "GitHub issues and pull requests (search/issues)"
    needs = "nothing (a token in token_env: 30 searches a minute instead of 10)"
    options = {"token_env": opt(str, help="environment variable holding a GitHub token")}
    endpoint = "https://api.github.com"
    rate_per_minute = 10  # GitHub's search limit without a token (30 with one)

    def __init__(self, spec: SourceSpec, settings: Settings) -> None:
        super().__init__(spec, settings)
        self._token: str | None = None

    def prepare(self) -> None:
        self._token = self.env("token_env", "a GitHub token for the search API")

    @property
    def host_rate(self) -> float | None:
        return self.spec.rate_per_minute or (30 if self._token else self.rate_per_minute)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        assert query is not None
        text = to_search_text(query.node, "github")
        if not text:
            return TaskResult(warnings=[nothing_to_ask(query.name, "GitHub")], requests=0)
        if " OR " in text:  # qualifiers must apply to every alternative
            text = f"({text})"
        since = since_time(state.cursor(), self.settings)
        created = f" created:>={since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if since else ""
        result = TaskResult(requests=0)
        found: dict[str, Entry] = {}
        for kind in KINDS:
            q = f"{text} is:{kind}{created}"
            for page in range(1, MAX_PAGES + 1):
                params: dict[str, Any] = {"q": q, "sort": "created", "order": "desc", "per_page": PER_PAGE}
                if page > 1:
                    params["page"] = page
                data = self._search(client, params)
                result.requests += 1
                if data.get("incomplete_results") is True:
                    result.warnings.append(f"GitHub's search timed out for {q!r}: results may be missing")
                found_items = items(data, "items")
                for item in found_items:
                    entry = issue_entry(item, self.name) if isinstance(item, dict) else None
                    if entry is not None and entry.native_id:
                        found[entry.native_id] = entry
                total = data.get("total_count")
                if len(found_items) < PER_PAGE or not isinstance(total, int) or page * PER_PAGE >= total:
                    break
        result.entries = list(found.values())
        cursor = newest_time(state.cursor(), (e.published for e in result.entries))
        result.cursors = {"": cursor} if cursor else None
        return result

    def _search(self, client: HttpClient, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._get(client, params)
        except FetchError as exc:
            raise self._explain(exc, str(params.get("q", ""))) from None
        return json_object(response.body, response.url, "GitHub")

    def _get(self, client: HttpClient, params: Mapping[str, Any]) -> Response:
        return client.get(
            self.url("/search/issues"), params=params, headers=self._headers(), rate_per_minute=self.host_rate
        )

    def _explain(self, error: FetchError, q: str) -> FetchError:
        detail = error_json(error)
        said = one_line(detail.get("message"))[:200]
        errors = items(detail, "errors")
        if errors and isinstance(errors[0], dict) and errors[0].get("message"):
            said = (
                f"{said}: {one_line(errors[0]['message'])[:200]}" if said else one_line(errors[0]["message"])
            )
        env = self.spec.get("token_env")
        if error.status == 401:
            return reworded(
                error,
                f"GitHub did not accept the token in ${env} (HTTP 401): "
                "check that it is valid and not expired",
            )
        if error.status in (403, 429):
            wait = _rate_limit_wait(error)
            if wait is not None:
                hint = (
                    "" if self._token else "; set token_env to a token's environment variable for 30 a minute"
                )
                return reworded(
                    error,
                    f"GitHub's search rate limit is used up (HTTP {error.status}), "
                    f"retry after {wait:.0f} s{hint}",
                    retry_after=wait,
                )
            if error.status == 403:
                advice = (
                    f"check the token in ${env}"
                    if self._token
                    else "set token_env to a token's environment variable"
                )
                return reworded(
                    error, f"GitHub refused the search (HTTP 403{': ' + said if said else ''}): {advice}"
                )
        if error.status == 422:
            return reworded(error, f"GitHub rejected the search {q!r} (HTTP 422): {said or 'invalid query'}")
        return error

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        try:
            return self._get(client, {"q": "mentionscan is:issue", "per_page": 1})
        except FetchError as exc:
            raise self._explain(exc, "mentionscan is:issue") from None


def _rate_limit_wait(error: FetchError) -> float | None:
    """Seconds until GitHub's rate limit resets, when the refusal is one; else None."""
    if error.retry_after is not None:
        return error.retry_after
    headers = error.headers
    retry = headers.get("retry-after", "")
    if retry.strip().isdigit():
        return float(retry)
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = parse_time(headers.get("x-ratelimit-reset", "").strip())
        return max(1.0, reset.timestamp() - time.time()) if reset else 60.0
    return None


def issue_entry(item: Mapping[str, Any], source: str) -> Entry | None:
    """One issue or pull request of a search answer as an Entry."""
    item_id = item.get("id")
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        return None
    user = table(item, "user")
    labels = items(item, "labels")
    body = item.get("body")
    return Entry(
        source=source,
        source_type="github",
        url=safe_link(str(item.get("html_url") or "")),
        title=one_line(item.get("title")),
        text=one_line(_COMMENT.sub(" ", body)) if isinstance(body, str) else "",
        author=one_line(user.get("login")) or None,
        author_url=safe_link(str(user.get("html_url") or "")) or None,
        published=parse_time(item.get("created_at")),
        tags=tuple(n for n in (one_line(lb.get("name")) for lb in labels if isinstance(lb, dict)) if n),
        native_id=f"gh:{item_id}",
        key_scope="global",
    )
