"""Any RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 URL: every query is matched here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mentionscan.config.model import SourceSpec, opt, require_env, url_opt
from mentionscan.errors import ConfigError, FetchError, MentionscanError
from mentionscan.sources.common import refused
from mentionscan.sources.google_alerts import alert_entry, is_alerts_feed
from mentionscan.sources.interface import ParseJob, QueryPlan, Task, TaskResult, TaskState, Validators
from mentionscan.sources.sitesource import SiteSource

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FeedSource(SiteSource):
    type = "feed"
    summary = "any RSS, Atom or JSON Feed URL; every query is matched against each entry"
    options = {
        "url": url_opt("the feed's URL", required=True),
        "headers": opt(
            dict,
            help='HTTP headers to send: { Authorization = "Bearer ${TOKEN}" }, ${VAR} from the environment',
        ),
        "group": opt(str, help='a folder for it, "News/Tech" (import-sources keeps OPML folders here)'),
    }
    per_query = False
    refuser = ""  # a refusal keeps the feed's URL
    advice = (
        'give credentials with headers = { Authorization = "Bearer ${FEED_TOKEN}" } in this source '
        "(${FEED_TOKEN} is read from the environment), or a URL with its token or user:password@"
    )

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        for name, value in (spec.get("headers") or {}).items():
            if not isinstance(value, str) or not name or any(c in name + value for c in "\r\n"):
                raise ConfigError(f"{where}: 'headers': {name!r} must be one line of text")

    def prepare(self) -> None:
        """The headers with each ${VAR} read from the environment (ConfigError naming it when unset)."""
        self.sent_headers: dict[str, str] = {}
        for name, value in (self.spec.get("headers") or {}).items():
            self.sent_headers[name] = _ENV_REFERENCE.sub(partial(self._secret, name), value)

    def _secret(self, header: str, found: re.Match[str]) -> str:
        return require_env(found.group(1), self.spec.where, f"used in the {header} header")

    def headers(self) -> dict[str, str]:
        return dict(getattr(self, "sent_headers", {}))

    @property
    def feed_url(self) -> str:
        """`url`, or with `base_url` its path and query on the scheme and host `base_url` gives."""
        url = str(self.spec.options["url"])
        if not self.spec.base_url:
            return url  # as written, to the letter: some servers read their queries raw
        parts = urlsplit(url)
        return self.url(parts.path, parts.query)

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        try:
            response, validators = conditional_get(
                client, self.feed_url, state, self.host_rate, self.headers()
            )
        except FetchError as exc:
            raise self.credentials(exc) from None
        result = TaskResult(validators=validators, moved_to=response.moved_to)
        if response.status == 304:
            result.not_modified = True
            return result
        # Imported here: reading a config (every command) needs this class, not the parsers.
        from mentionscan.sources.feedparse import parse_feed

        kwargs: dict[str, Any] = {"url": response.url, "source": self.name, "source_type": self.type}
        if is_alerts_feed(str(self.spec.options["url"])):
            kwargs["adapt"] = alert_entry
        result.parse = ParseJob(parse_feed, response.body, dict(response.headers), kwargs)
        return result

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """The feed's answer, judged as `fetch` judges it: a web page or an empty body is not a feed."""
        from mentionscan.sources.feedparse import parse_feed

        response = client.get(self.feed_url)
        judged(
            response, lambda: parse_feed(response.body, response.headers, url=response.url, source=self.name)
        )
        return response

    def credentials(self, error: FetchError) -> FetchError:
        """A 401 says how to give the credentials the feed wants."""
        return refused(error, self.advice) if error.status == 401 else error


def judged(response: Response, parse: Callable[[], object]) -> None:
    """Raise what `parse()` raises about `response`'s body, as a FetchError carrying its status."""
    try:
        parse()
    except MentionscanError as exc:
        raise FetchError(str(exc), status=response.status) from None


def conditional_get(
    client: HttpClient,
    url: str,
    state: TaskState,
    rate_per_minute: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[Response, Validators]:
    """GET `url` with the stored validators; the response and the validators to keep next time."""
    response = client.get(
        url,
        headers=headers,
        etag=state.etag,
        last_modified=state.last_modified,
        rate_per_minute=rate_per_minute,
    )
    # RFC 9111 4.3.4: a 304 may carry fresh validators; a 200 replaces them.
    validators = state.validators if response.status == 304 else Validators()
    if "etag" in response.headers:
        validators["etag"] = response.headers["etag"]
    if "last-modified" in response.headers:
        validators["last_modified"] = response.headers["last-modified"]
    if response.headers.get("expires", "").strip() in ("0", "-1"):
        validators = Validators()
    return response, validators
