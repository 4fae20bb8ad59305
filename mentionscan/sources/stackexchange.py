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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import Settings, SourceSpec, env_opt, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.matching.matcher import Node, Tag, positive_terms
from mentionscan.models import Entry
from mentionscan.sources.common import JSON_ACCEPT, REFUSED, error_json, items, names, reworded, table, whole
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import search_texts, tags_of
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient

PATH = "/2.3/search/advanced"
PAGE_SIZE = 100
MAX_BACKOFF_WAIT = 60.0  # seconds; a longer `backoff` fails the source and skips it until then
THROTTLED = 502  # the API's error_id for throttle_violation
_SITE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_WAIT = re.compile(r"(\d+) seconds")


class StackExchangeSource(SearchApi):
    type = "stackexchange"
    summary = "Stack Exchange questions (search/advanced); tag: queries ask by tag"
    needs = "nothing (an API key in key_env raises the quota from 300 to 10,000 requests a day)"
    options = {
        "site": opt(str, default="stackoverflow", help="the site's API name: stackoverflow, superuser, ..."),
        "key_env": env_opt("a Stack Apps API key"),
    }
    # well under the 30 a second that gets an IP banned
    site = Site("Stack Exchange", "https://api.stackexchange.com", per_minute=20)
    accept = JSON_ACCEPT
    json_from = "Stack Exchange"
    size_param = "pagesize"
    max_searches = 4  # the API has no OR and a small daily quota
    max_pages = 3
    advice = "it needs no key, so this network is probably blocked: try again later"
    credential_advice = "check the key in key_env (a Stack Apps key, for this API)"

    def __init__(self, spec: SourceSpec, settings: Settings) -> None:
        super().__init__(spec, settings)
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
        self.secret = self.env("key_env", "the Stack Exchange API key")

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        base: dict[str, Any] = {
            "site": self.api_site,
            "sort": "creation",
            "order": "desc",
            "pagesize": PAGE_SIZE,
            "filter": "withbody",
        }
        since = self.since(state.cursor())
        if since is not None:
            base["fromdate"] = int(since.timestamp())
        if self.secret:
            base["key"] = self.secret
        if _only_tags(query.node):
            return [Ask(PATH, {**base, "tagged": ";".join(tags_of(query.node))})]
        return [Ask(PATH, {**base, "q": text}) for text in search_texts(query.node, "stackexchange")]

    def next_page(self, ask: Ask, data: Any, count: int) -> Ask | None:
        return ask.next(page=ask.page + 1) if data.get("has_more") else None

    def read(
        self, client: HttpClient, path: str, params: Mapping[str, Any]
    ) -> tuple[Any, list[Mapping[str, Any]]]:
        self._wait_turn()
        data, found = super().read(client, path, params)
        backoff = data.get("backoff")
        if isinstance(backoff, int | float) and not isinstance(backoff, bool) and backoff > 0:
            with self._lock:
                self._not_before = max(self._not_before, time.monotonic() + backoff)
        return data, found

    def notes(self, data: Any, ask: Ask) -> list[str]:
        quota = data.get("quota_remaining")
        return (
            [f"only {quota} Stack Exchange requests left today"]
            if isinstance(quota, int) and quota < 10
            else []
        )

    def items(self, data: Any) -> list[Any]:
        return items(data, "items")

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

    def explain(self, error: FetchError, params: Mapping[str, Any]) -> FetchError:
        said = self.said(error)
        status = f"HTTP {error.status}" + (f", {said}" if said else "")
        if error_json(error).get("error_id") == THROTTLED:
            wait = _WAIT.search(said)
            hint = (
                "" if self.secret else ": set key_env to an API key's environment variable for a larger quota"
            )
            return reworded(
                error,
                f"Stack Exchange throttled us ({status}){hint}",
                retry_after=float(wait.group(1)) if wait else error.retry_after or 3600.0,
            )
        if said and error.status not in REFUSED:
            return reworded(error, f"Stack Exchange rejected the search ({status})")
        return super().explain(error, params)

    def said(self, error: FetchError) -> str:
        """The API's own name and message for an error ("throttle_violation: too many requests ...")."""
        detail = error_json(error)
        return ": ".join(p for p in (one_line(detail.get(k)) for k in ("error_name", "error_message")) if p)

    def entry(self, item: Mapping[str, Any]) -> Entry | None:
        """One question of the API (default filter, or `withbody`)."""
        if (question_id := whole(item.get("question_id"))) is None:
            return None
        owner = table(item, "owner")
        return self.make_entry(
            url=safe_link(str(item.get("link") or "")),
            title=html_to_text(item.get("title") or ""),
            text=html_to_text(item.get("body") or ""),
            author=html_to_text(owner.get("display_name") or "") or None,
            author_url=safe_link(str(owner.get("link") or "")) or None,
            published=parse_time(item.get("creation_date")),
            tags=names(items(item, "tags")),
            native_id=f"se:{self.api_site}:q:{question_id}",
            language=_language(self.api_site),
        )


def _language(api_site: str) -> str:
    """The language a site is written in: `ru.stackoverflow` Russian, the others English."""
    prefix, _, rest = api_site.partition(".")
    return prefix if rest == "stackoverflow" and len(prefix) == 2 else "en"


def _only_tags(node: Node) -> bool:
    """Whether every term that counts for a match is a `tag:` (so the tag endpoint covers the query)."""
    terms = positive_terms(node)
    return bool(terms) and all(isinstance(t, Tag) for t in terms)
