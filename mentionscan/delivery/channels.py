"""Where a `[[notify]]` channel's messages go: a service apprise knows, or our own signed webhook.

`open_channel` reads the URL (and a webhook's secret) from the environment and decides which it
is: an apprise URL (`slack://`, `ntfys://`, ... or a service's own https webhook address that
apprise recognizes) is sent through apprise; any other http(s) URL, or `type = "webhook"`, gets
our JSON. A channel's `send` never raises for a service that is down or refuses: it returns an
`Outcome` whose reason has been through `Secrets.mask`, so no URL or secret reaches the output.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from mentionscan import __version__
from mentionscan.config.model import Config, NotifySpec, Settings, require_env
from mentionscan.delivery.chat import (
    HEADLINE_LIMIT,
    Delivery,
    Markup,
    alert_message,
    check_message,
    mention_messages,
)
from mentionscan.delivery.sending import Outcome, Secrets, retryable, status_reason
from mentionscan.errors import ConfigError, did_you_mean
from mentionscan.models import Mention
from mentionscan.text import one_line

if TYPE_CHECKING:
    import apprise

# What each service really renders, where apprise's default says less: Discord, Mattermost and
# Zulip draw Markdown in what apprise calls text; Matrix shows HTML with links.
_PREFERRED = {
    "NotifySlack": Markup.SLACK,
    "NotifyDiscord": Markup.MARKDOWN,
    "NotifyMattermost": Markup.MARKDOWN,
    "NotifyZulip": Markup.MARKDOWN,
    "NotifyMatrix": Markup.HTML,
}
_DECLARED = {Markup.TEXT: "text", Markup.MARKDOWN: "markdown", Markup.SLACK: "markdown", Markup.HTML: "html"}
_STATUS = re.compile(r"\berror=(\d{3})\b")
BUDGET_SHARE = 0.9  # of a service's size limit: apprise's conversion to its dialect may add a little


class Channel(Protocol):
    """A configured destination: how it carries mentions and alerts, and how it sends one delivery."""

    spec: NotifySpec
    service: str  # "Slack", "ntfy", "webhook": shown beside the channel's name

    def deliveries(self, mentions: Sequence[Mention], now: datetime) -> list[Delivery]: ...

    def alert(self, failing: Sequence[tuple[str, int, str]], recovered: Sequence[str]) -> Delivery: ...

    def check(self, now: datetime) -> Delivery: ...

    def send(self, delivery: Delivery) -> Outcome: ...

    def close(self) -> None: ...


@contextlib.contextmanager
def _apprise_log() -> Iterator[list[str]]:
    """apprise's warnings while it reads a URL, kept here: it would print them (and the URL) to stderr."""
    import apprise

    found: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    handler = Keep(logging.WARNING)
    logger = logging.getLogger(apprise.LOGGER_NAME)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class AppriseChannel:
    """A service apprise knows: our message in the service's markup, apprise's client for the rest."""

    def __init__(self, spec: NotifySpec, url: str, plugin: Any, secrets: Secrets, settings: Settings) -> None:
        import apprise

        self.spec = spec
        self.service = str(plugin.service_name)
        self.secrets = secrets
        self.timeout = settings.deadline
        if "format=" in urlsplit(url).query or type(plugin).__name__ not in _PREFERRED:
            resolved = str(plugin.resolve_format(None).value)
            self.markup = {"html": Markup.HTML, "markdown": Markup.MARKDOWN}.get(resolved, Markup.TEXT)
        else:
            self.markup = _PREFERRED[type(plugin).__name__]
        # A message we could not make small enough is split by apprise rather than refused.
        plugin.overflow_mode = apprise.OverflowMode.SPLIT
        title_in_body = plugin.title_maxlen <= 0 or plugin.overflow_amalgamate_title
        self.title_limit = (
            HEADLINE_LIMIT if plugin.title_maxlen <= 0 else min(HEADLINE_LIMIT, plugin.title_maxlen)
        )
        self.budget = int(plugin.body_maxlen * BUDGET_SHARE) - (self.title_limit + 8 if title_in_body else 0)
        self._apprise = apprise.Apprise(asset=_asset(settings))
        self._apprise.add(plugin)

    def deliveries(self, mentions: Sequence[Mention], now: datetime) -> list[Delivery]:
        return mention_messages(
            mentions, self.markup, budget=self.budget, max_messages=self.spec.max_messages, now=now
        )

    def alert(self, failing: Sequence[tuple[str, int, str]], recovered: Sequence[str]) -> Delivery:
        return alert_message(failing, recovered, self.markup)

    def check(self, now: datetime) -> Delivery:
        return check_message(self.spec.name, self.markup, now)

    def send(self, delivery: Delivery) -> Outcome:
        import apprise

        try:
            with _apprise_log():
                result = self._apprise.notify(
                    body=delivery.body,
                    title=delivery.title[: self.title_limit],
                    body_format=_DECLARED[self.markup],
                    timeout=self.timeout,
                )
        except Exception as exc:  # a plugin's bug must fail its channel, not the run (nor show its URL)
            return Outcome(False, self.secrets.mask(one_line(f"apprise failed: {type(exc).__name__}: {exc}")))
        if result:
            return Outcome(True)
        if result.status == apprise.AppriseResultStatus.TIMEOUT:
            return Outcome(False, f"no answer within {self.timeout:g} s", retryable=True)
        said = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
        last = said[-1] if said else "apprise could not deliver the message"
        found = _STATUS.search(last)
        status = int(found.group(1)) if found else None
        if status is not None and not 200 <= status < 300:
            reason = f"{self.service} answered {status_reason(status)}"
        elif "connection" in last.lower():
            reason = f"could not connect to {self.service}"
        else:
            reason = self.secrets.mask(one_line(last))
        return Outcome(False, reason, status=status, retryable=retryable(status))

    def close(self) -> None:
        self._apprise.clear()


def open_channel(config: Config, spec: NotifySpec) -> Channel:
    """The channel `spec` describes, its URL and secret read from the environment (ConfigError if unset)."""
    where = f"{config.path}: {spec.where}"
    if spec.url is not None:
        url, variable = spec.url, "'url'"
    else:
        assert spec.url_env is not None  # load.py requires one of the two
        url, variable = require_env(spec.url_env, where, "the channel's URL").strip(), spec.url_env
    secret = require_env(spec.secret_env, where, "the webhook's signing secret") if spec.secret_env else None
    secrets = Secrets(url, secret)
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    web = scheme in ("http", "https")
    # A signing secret means our own webhook, even at an address apprise would recognize.
    if spec.type != "webhook" and not (secret and web):
        if not scheme:
            raise ConfigError(
                f"{where}: {variable} does not hold a URL (it needs a scheme, such as slack://)"
            )
        plugin, said = _apprise_plugin(url, config.settings)
        if plugin is not None:
            if secret:
                raise ConfigError(
                    f"{where}: 'secret_env' signs our own webhook; {scheme}:// has no use for it"
                )
            return AppriseChannel(spec, url, plugin, secrets, config.settings)
        if spec.type == "apprise" or not web:
            raise ConfigError(f"{where}: {_unknown(scheme, variable, said, secrets)}")
    if not web:
        raise ConfigError(f"{where}: {variable} must hold an http:// or https:// URL for a webhook")
    from mentionscan.delivery.webhook import WebhookChannel

    return WebhookChannel(spec, url, secret, secrets, config.settings)


def _unknown(scheme: str, variable: str, said: Sequence[str], secrets: Secrets) -> str:
    import apprise

    schemas = apprise.NotificationManager().schemas()
    if scheme not in schemas:
        return (
            f"{variable} holds a {scheme}:// URL, which apprise does not know{did_you_mean(scheme, schemas)}"
        )
    detail = f": {secrets.mask(one_line(said[-1]))}" if said else ""
    return f"apprise cannot use the {scheme}:// URL in {variable}{detail}"


def _asset(settings: Settings) -> apprise.AppriseAsset:
    import apprise

    return apprise.AppriseAsset(
        app_id="mentionscan",
        app_desc=f"mentionscan {__version__}",
        app_url="https://pypi.org/project/mentionscan/",
        image_url_mask="",  # no icon fetched from apprise's site by the service
        service_timeout=settings.deadline,
        result_log_disk_size=0,  # its delivery logs stay in memory
    )


def _apprise_plugin(url: str, settings: Settings) -> tuple[Any, list[str]]:
    """apprise's plugin for `url` (None when it knows none), and what it warned of."""
    import apprise

    with _apprise_log() as said:
        plugin = apprise.Apprise.instantiate(url, asset=_asset(settings))
    return plugin, said


def open_channels(config: Config, names: Sequence[str] | None = None) -> list[Channel]:
    """The enabled channels (or those named), each checked before anything is sent."""
    if names:
        specs = [config.channel(name) for name in dict.fromkeys(names)]
    else:
        specs = [spec for spec in config.notify if spec.enabled]
    return [open_channel(config, spec) for spec in specs]
