"""What every source type that asks one site shares: `SiteSource`.

It owns the request (the site's endpoint, or `base_url`, or the configured instance; headers;
pacing), what a failed request means to the user, reading a JSON answer, the time bound a task
asks from, and the entries it makes. A family base adds what its sites share; a site module
says only what differs, as class attributes and a few small methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from mentionscan.errors import FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    LAG,
    NO_TERM,
    REFUSED,
    json_object,
    refused,
    reworded,
    scrubbed,
    since_time,
)
from mentionscan.sources.interface import Source
from mentionscan.urls import redact

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response


@dataclass(frozen=True, slots=True)
class Site:
    """The site a source type asks: its name in messages, where it is, how often to ask it."""

    name: str
    endpoint: str = ""  # the real site's scheme and host ("": the config names the instance)
    per_minute: float | None = None  # politeness towards its host; `rate_per_minute` overrides it


class SiteSource(Source):
    """A source type that asks one site: requests to its endpoint (or `base_url`), refusals explained.

    A type says what differs as class attributes: which site it is, what its answers need
    (`accept`), how late it indexes (`lag`), and what to tell the user when it refuses.
    """

    site: ClassVar[Site] = Site("")
    accept: ClassVar[str] = ""  # the Accept header its answers need ("": none)
    lag: ClassVar[timedelta] = LAG  # how much earlier than its cursor a task asks again
    size_param: ClassVar[str | None] = None  # the parameter saying how many results an answer holds
    unaskable: ClassVar[str] = NO_TERM  # said of a query with nothing the site can search for
    # A 401 or 403: what to do, and who refused: "<site> refused <asked>" unless `refuser` says
    # otherwise; a `refuser` of "" keeps the request's URL in the message instead.
    asked: ClassVar[str] = "the search"
    refuser: ClassVar[str | None] = None
    advice: ClassVar[str] = ""
    # What to check when the refused request carried the user's token or key ({token_env}: an option).
    credential_advice: ClassVar[str] = ""
    rate_advice: ClassVar[str] = ""  # added to a 429's message
    said_sep: ClassVar[str] = ", "  # between the status and the site's own words about it
    # Who sent a web page instead of JSON, named in the error ("": the error only says "not JSON").
    json_from: ClassVar[str] = ""
    not_an_answer: ClassVar[str] = "not the answer expected"  # a JSON answer `items` finds no results in

    bearer: str | None = None  # a token to send as `Authorization: Bearer`
    secret: str | None = None  # a key sent as a URL parameter: masked in every message

    @property
    def root(self) -> str:
        """Where requests go: `base_url`, else the configured instance, else the site's endpoint."""
        return self.spec.base_url or str(self.spec.get("instance") or self.site.endpoint)

    @property
    def host_rate(self) -> float | None:
        return self.spec.rate_per_minute or self.site.per_minute

    def url(self, path: str, query: str = "") -> str:
        """`path` on the site, or on `base_url` (scheme and host replaced, its own path prefixed)."""
        parts = urlsplit(self.root)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, query, ""))

    def headers(self) -> dict[str, str]:
        headers = {"Accept": self.accept} if self.accept else {}
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        return headers

    def request(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Response:
        """GET `path` on the site; a failure is a FetchError that says what the site meant."""
        try:
            return client.get(
                self.url(path), params=params, headers=self.headers(), rate_per_minute=self.host_rate
            )
        except FetchError as exc:
            raise scrubbed(self.explain(exc, params), self.secret) from None

    def explain(self, error: FetchError, params: Mapping[str, Any]) -> FetchError:
        """What a failed request means: a refusal says what to do, a 429 the site's limits.

        A site with errors of its own (a JSON error body, a quota) reads them first, then comes here.
        """
        if error.status in REFUSED:
            said = self.said(error)
            detail = f"{self.said_sep}{said}" if said else ""
            who = f"{self.site.name} refused {self.asked}" if self.refuser is None else self.refuser
            return refused(error, self.refusal_advice(error), who, detail)
        if error.status == 429 and self.rate_advice:
            return reworded(error, f"{error}: {self.rate_advice}")
        return error

    def refusal_advice(self, error: FetchError) -> str:
        if self.credential_advice and (self.bearer or self.secret):
            return self.credential_advice.format_map(self.spec.options)
        return self.advice

    def said(self, error: FetchError) -> str:
        """The site's own words about a failed request, from its error answer ("": none)."""
        return ""

    def decode(self, response: Response) -> Any:
        """The JSON of an answer; an error that names the site when it is a web page instead."""
        if not self.json_from:
            return response.json()
        where = redact(response.url).replace(self.secret or "\0", "***")
        return json_object(response.body, where, self.json_from)

    def items(self, data: Any) -> list[Any] | None:
        """The results in a JSON answer; None when it is not the answer expected (here: a list)."""
        return data if isinstance(data, list) else None

    def read(
        self, client: HttpClient, path: str, params: Mapping[str, Any]
    ) -> tuple[Any, list[Mapping[str, Any]]]:
        """One request for JSON: the decoded answer, and the results in it."""
        response = self.request(client, path, params)
        data = self.decode(response)
        found = self.items(data)
        if found is None:
            raise FetchError(f"{redact(response.url)}: {self.not_an_answer}")
        return data, [item for item in found if isinstance(item, Mapping)]

    def since(self, cursor: str | None, now: datetime | None = None) -> datetime | None:
        """The oldest time a request should ask for, given the cursor it reads."""
        return since_time(cursor, self.settings, self.lag, now)

    def unasked(self, query: str) -> str:
        """The warning for query `query`, which has nothing this site can search for."""
        return self.unaskable.format(query=query, site=self.site.name)

    def make_entry(self, **fields: Any) -> Entry:
        """An Entry of this source; a site's own id is unique across the web."""
        return Entry(source=self.name, source_type=self.type, key_scope="global", **fields)
