"""Our own webhook: one POST per mention, its `--format json` record, signed as Miniflux signs.

The body is the record as `mentionscan list --format jsonl` prints it; `X-Mentionscan-Event`
says what it is (`mention`, `test`, `source.failing`, `source.recovered`), and with a secret
`X-Mentionscan-Signature` is the hex HMAC-SHA256 of the body's bytes under it. A 2xx answer is
acceptance; a redirect is not followed (it would turn the POST into a GET, or carry the
signature elsewhere) and fails the delivery with what to change.

Sent with requests on fetching's connection classes, so that the request has the same bounds
as every fetch: a connect and a read timeout, one deadline for all of it, a capped answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import unquote, urlsplit

import requests
import requests.auth

from mentionscan import __version__
from mentionscan.config.model import NotifySpec, Settings
from mentionscan.delivery.chat import Delivery
from mentionscan.delivery.sending import Outcome, Secrets, retryable, status_reason
from mentionscan.fetching.deadline import Adapter, Watch, current
from mentionscan.fetching.responses import connection_error, retry_after_seconds
from mentionscan.models import Mention
from mentionscan.timeutil import to_iso
from mentionscan.urls import redact

SIGNATURE_HEADER = "X-Mentionscan-Signature"
EVENT_HEADER = "X-Mentionscan-Event"
ANSWER_LIMIT = 64 * 1024  # bytes of the receiver's answer read; the rest is not our business


def signature(secret: str, body: bytes) -> str:
    """What `X-Mentionscan-Signature` holds: hex HMAC-SHA256 of the body under the secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoNetrc(requests.auth.AuthBase):
    """No credentials unless the URL carries them: requests would otherwise send ~/.netrc's."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class WebhookChannel:
    """POSTs JSON to the URL; each mention its own request, so each is accepted (or not) alone."""

    service = "webhook"

    def __init__(
        self, spec: NotifySpec, url: str, secret: str | None, secrets: Secrets, settings: Settings
    ) -> None:
        self.spec = spec
        self.url = url
        self.secret = secret
        self.secrets = secrets
        self.timeout = settings.timeout
        self.deadline = settings.deadline
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        adapter = Adapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        parts = urlsplit(url)
        self.auth: requests.auth.AuthBase = (
            requests.auth.HTTPBasicAuth(unquote(parts.username), unquote(parts.password or ""))
            if parts.username is not None
            else _NoNetrc()
        )

    def deliveries(self, mentions: Sequence[Mention], now: datetime) -> list[Delivery]:
        return [Delivery("", json.dumps(m.to_record(), ensure_ascii=False), (m.id,)) for m in mentions]

    def alert(self, failing: Sequence[tuple[str, int, str]], recovered: Sequence[str]) -> Delivery:
        event = "source.failing" if failing else "source.recovered"
        body = {
            "event": event,
            "failing": [{"source": name, "runs": runs, "error": error} for name, runs, error in failing],
            "recovered": list(recovered),
        }
        return Delivery("", json.dumps(body, ensure_ascii=False), (), event)

    def check(self, now: datetime) -> Delivery:
        body = {"event": "test", "channel": self.spec.name, "sent_at": to_iso(now), "version": __version__}
        return Delivery("", json.dumps(body, ensure_ascii=False), (), "test")

    def send(self, delivery: Delivery) -> Outcome:
        body = delivery.body.encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: delivery.event}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        watch = Watch(time.monotonic() + self.deadline)
        current.watch = watch
        try:
            response = self.session.post(
                self.url,
                data=body,
                headers=headers,
                auth=self.auth,
                timeout=(min(5.0, self.timeout), self.timeout),
                allow_redirects=False,
                stream=True,
            )
            with contextlib.suppress(Exception):  # the status is the answer; a dripping body is cut
                response.raw.read(ANSWER_LIMIT)
            response.close()
        except requests.RequestException as exc:
            if watch.fired:
                return Outcome(False, f"no answer within {self.deadline:g} s", retryable=True)
            error = connection_error(self.url, exc)
            reason = str(error).removeprefix(f"{redact(self.url)}: ")
            return Outcome(False, self.secrets.mask(reason), retryable=getattr(error, "transient", True))
        finally:
            watch.stop()
            current.watch = None
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(True)
        if 300 <= status < 400:
            return Outcome(
                False, f"the webhook answered HTTP {status} (a redirect): use the address it names"
            )
        wait = retry_after_seconds(response.headers.get("retry-after")) if status in (429, 503) else None
        reason = f"the webhook answered {status_reason(status)}"
        if wait is not None:
            reason += f", retry after {wait:.0f} s"
        return Outcome(False, reason, status=status, retry_after=wait, retryable=retryable(status))

    def close(self) -> None:
        self.session.close()
