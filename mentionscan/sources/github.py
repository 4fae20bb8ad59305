"""GitHub issues and pull requests through `/search/issues`, newest first.

GitHub's search must say `is:issue` or `is:pull-request` (HTTP 422 otherwise, and both at once
means both), so each query is two searches. Without a token GitHub allows 10 searches a
minute, with one 30; `token_env` names the environment variable holding it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from mentionscan.config.model import env_opt
from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import error_json, items, names, reworded, table, whole
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import to_search_text
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

PATH = "/search/issues"
KINDS = ("issue", "pull-request")
PER_PAGE = 100
API_VERSION = "2022-11-28"
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # issue templates are full of them


class GitHubSource(SearchApi):
    type = "github"
    summary = "GitHub issues and pull requests (search/issues)"
    needs = "nothing (a token in token_env: 30 searches a minute instead of 10)"
    options = {"token_env": env_opt("a GitHub token")}
    # GitHub's search limit without a token (30 with one)
    site = Site("GitHub", "https://api.github.com", per_minute=10)
    json_from = "GitHub"
    size_param = "per_page"
    max_pages = 3
    said_sep = ": "
    advice = "set token_env to a token's environment variable"
    credential_advice = "check the token in ${token_env}"

    def prepare(self) -> None:
        self.bearer = self.env("token_env", "a GitHub token for the search API")

    @property
    def host_rate(self) -> float | None:
        return self.spec.rate_per_minute or (30 if self.bearer else self.site.per_minute)

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        return headers | super().headers()

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        text = to_search_text(query.node, "github")
        if not text:
            return []
        if " OR " in text:  # qualifiers must apply to every alternative
            text = f"({text})"
        since = self.since(state.cursor())
        created = f" created:>={since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if since else ""
        return [
            Ask(
                PATH,
                {"q": f"{text} is:{kind}{created}", "sort": "created", "order": "desc", "per_page": PER_PAGE},
            )
            for kind in KINDS
        ]

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        total = data.get("total_count")
        if count < PER_PAGE or not isinstance(total, int) or ask.page * PER_PAGE >= total:
            return None
        return ask.next(page=ask.page + 1)

    def notes(self, data: Any, ask: Ask) -> list[str]:
        if data.get("incomplete_results") is not True:
            return []
        return [f"GitHub's search timed out for {ask.params['q']!r}: results may be missing"]

    def items(self, data: Any) -> list[Any]:
        return items(data, "items")

    def explain(self, error: FetchError, params: Mapping[str, Any]) -> FetchError:
        env = self.spec.get("token_env")
        if error.status == 401:
            return reworded(
                error,
                f"GitHub did not accept the token in ${env} (HTTP 401): "
                "check that it is valid and not expired",
            )
        wait = _rate_limit_wait(error) if error.status in (403, 429) else None
        if wait is not None:
            hint = "" if self.bearer else "; set token_env to a token's environment variable for 30 a minute"
            return reworded(
                error,
                f"GitHub's search rate limit is used up (HTTP {error.status}), "
                f"retry after {wait:.0f} s{hint}",
                retry_after=wait,
            )
        if error.status == 422:
            said = self.said(error) or "invalid query"
            return reworded(error, f"GitHub rejected the search {params.get('q', '')!r} (HTTP 422): {said}")
        return super().explain(error, params)

    def said(self, error: FetchError) -> str:
        """GitHub's message about an error, and the first of its `errors`."""
        detail = error_json(error)
        said = one_line(detail.get("message"))[:200]
        errors = items(detail, "errors")
        if errors and isinstance(errors[0], dict) and errors[0].get("message"):
            first = one_line(errors[0]["message"])
            said = f"{said}: {first[:200]}" if said else first
        return said

    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        """One issue or pull request of a search answer."""
        if (item_id := whole(item.get("id"))) is None:
            return None
        user = table(item, "user")
        # Markdown, often with HTML in it (<ul><li>, <details>): reduced to text like every source's;
        # GitHub's own plain rendering (`body_text`, with the full+json media type) when it is there
        body, plain = item.get("body"), item.get("body_text")
        text = one_line(plain) if isinstance(plain, str) and plain.strip() else ""
        return self.make_entry(
            url=safe_link(str(item.get("html_url") or "")),
            title=one_line(item.get("title")),
            text=text or (html_to_text(_COMMENT.sub(" ", body)) if isinstance(body, str) else ""),
            author=one_line(user.get("login")) or None,
            author_url=safe_link(str(user.get("html_url") or "")) or None,
            published=parse_time(item.get("created_at")),
            tags=names(items(item, "labels"), "name"),
            native_id=f"gh:{item_id}",
        )


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
