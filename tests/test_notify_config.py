"""`[[notify]]` in the config: every default on its record, every error naming the file, table and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mentionscan.config.load import load_config
from mentionscan.config.model import NotifySpec
from mentionscan.errors import ConfigError
from tests.conftest import Cli

BASE = """
[[queries]]
name = "acme"
match = "acme"

[[queries]]
name = "acme-support"
match = "tag:acmehelp"
"""


def config_with(tmp_path: Path, notify: str, settings: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[settings]\n{settings}\n{BASE}\n{notify}", encoding="utf-8")
    return path


def test_a_channel_takes_every_default_from_its_record(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, '[[notify]]\nname = "team"\nurl_env = "SLACK_WEBHOOK_URL"\n'))
    assert config.notify == (NotifySpec(name="team", index=1, url_env="SLACK_WEBHOOK_URL"),)
    spec = config.notify[0]
    assert (spec.mode, spec.queries, spec.alerts, spec.alert_after, spec.min_interval) == (
        "instant",
        None,
        False,
        3,
        timedelta(0),
    )
    assert config.settings.notify is False


def test_every_key_is_read(tmp_path: Path) -> None:
    text = """
[[notify]]
name = "crm"
type = "webhook"
url = "https://crm.example/hooks/mentions"
secret_env = "CRM_WEBHOOK_SECRET"
queries = ["acme-support"]
mode = "digest"
min_interval = "10m"
alerts = true
alert_after = 5
max_messages = 2
enabled = false
"""
    config = load_config(config_with(tmp_path, text, settings="notify = true"))
    assert config.settings.notify is True
    assert config.notify[0] == NotifySpec(
        name="crm",
        index=1,
        url="https://crm.example/hooks/mentions",
        type="webhook",
        secret_env="CRM_WEBHOOK_SECRET",
        queries=("acme-support",),
        mode="digest",
        min_interval=timedelta(minutes=10),
        alerts=True,
        alert_after=5,
        max_messages=2,
        enabled=False,
    )


TEAM = '[[notify]]\nname = "team"\n'


CASES = {
    'url_env = "X"\nmode = "instan"\n': "'mode' must be \"instant\" or \"digest\", not 'instan' "
    "(did you mean 'instant'?)",
    'url_env = "X"\nqueries = ["acme-suport"]\n': "'queries' names no query 'acme-suport' "
    "(did you mean 'acme-support'?)",
    'url_env = "X"\nurl_evn = "Y"\n': "unknown key 'url_evn' (did you mean 'url_env'?)",
    'url_env = "X"\nmin_interval = "10s"\n': "'min_interval': '10s' is not a duration: "
    "use a number and m, h, d or w, like 24h or 7d",
    'url_env = "X"\nalert_after = 0\n': "'alert_after' must be 1 or more, not 0",
    'url_env = "X"\nqueries = []\n': "'queries' is [] and 'alerts' is false: the channel would get nothing",
    'url_env = "X"\nalerts = "yes"\n': "'alerts' must be true or false, not 'yes'",
    'url_env = "X"\ntype = "slack"\n': "'type' must be \"apprise\" or \"webhook\", not 'slack'",
    "": "missing key 'url_env' (the environment variable holding the URL)",
    'url_env = "X"\nurl = "https://example.com/h"\ntype = "webhook"\n': "'url' and 'url_env' both give "
    "the URL: keep one",
    'url = "https://hooks.slack.com/services/T/B/secret"\n': "'url' is for type = \"webhook\" only; put "
    "a service's URL in an environment variable and name it in 'url_env'",
    'type = "webhook"\nurl = "ftp://example.com/h"\n': "'url' must be an http:// or https:// URL",
    'type = "apprise"\nurl_env = "X"\nsecret_env = "S"\n': "'secret_env' signs our own webhook; "
    "apprise services have no use for it",
}


@pytest.mark.parametrize(("keys", "message"), list(CASES.items()))
def test_a_wrong_channel_is_a_config_error_naming_the_file_table_and_key(
    tmp_path: Path, keys: str, message: str
) -> None:
    path = config_with(tmp_path, TEAM + keys)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f'{path}: [[notify]] #1 ("team"): {message}'


def test_two_channels_may_not_share_a_name(tmp_path: Path) -> None:
    path = config_with(tmp_path, (TEAM + 'url_env = "X"\n') * 2)
    with pytest.raises(ConfigError, match=r"\[\[notify\]\]: the name 'team' is used twice"):
        load_config(path)


def test_notify_in_settings_needs_a_channel(tmp_path: Path) -> None:
    path = config_with(tmp_path, "", settings="notify = true")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert (
        str(raised.value)
        == f"{path}: [settings]: 'notify' is true, but there is no [[notify]] table to send to"
    )


def test_notify_in_settings_must_be_true_or_false(tmp_path: Path) -> None:
    path = config_with(tmp_path, "", settings='notify = "yes"')
    with pytest.raises(ConfigError, match=r"\[settings\]: 'notify' must be true or false, not 'yes'"):
        load_config(path)


def test_the_commented_notify_examples_in_config_example_toml_parse_when_uncommented(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    start = example.index("# [[notify]]")
    block = "\n".join(
        line.removeprefix("# ") for line in example[start:].splitlines() if line.startswith("# ") or not line
    )
    path = tmp_path / "uncommented.toml"
    path.write_text(example[:start] + block, encoding="utf-8")
    channels = load_config(path).notify
    assert [c.name for c in channels] == ["team-slack", "phone", "crm"]
    assert channels[0].url_env == "SLACK_WEBHOOK_URL" and channels[0].queries == ("acme-support",)
    assert channels[2].type == "webhook" and channels[2].secret_env == "CRM_WEBHOOK_SECRET"


def test_unset_variables_are_named_when_used_not_when_the_config_is_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_URL", "https://crm.example/hook")
    path = config_with(tmp_path, TEAM + 'url_env = "CRM_URL"\nsecret_env = "CRM_SECRET"\n')
    assert load_config(path).notify[0].secret_env == "CRM_SECRET"  # read, not resolved

    result = cli("notify", "--config", str(path), "--dry-run")

    assert result.exit_code == 3  # that channel fails, as one that is down would; the others go on
    assert result.stderr.strip().splitlines()[-1] == (  # after "no database at ... yet (fetch makes it)"
        "Error: notify team: environment variable CRM_SECRET is not set (the webhook's signing secret)"
    )


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            'url_env = "https://hooks.slack.com/services/T0/B0/xyzzytoken"\n',
            "'url_env' holds a URL: it names the environment variable that holds the URL "
            "(export TEAM_URL='...' and write url_env = \"TEAM_URL\")",
        ),
        (
            'url_env = "slack webhook xyzzy"\n',
            "'url_env' must name an environment variable (letters, digits and _, such as \"TEAM_URL\")",
        ),
        (
            'type = "webhook"\nurl = "https://crm.example/h"\nsecret_env = "xyzzy-passphrase-42"\n',
            "'secret_env' must name the environment variable that holds the secret "
            '(letters, digits and _, such as "TEAM_SECRET"), not the secret itself',
        ),
    ],
)
def test_a_value_where_its_variables_name_goes_is_refused_and_never_shown(
    cli: Cli, tmp_path: Path, keys: str, message: str
) -> None:
    path = config_with(tmp_path, TEAM + keys)

    result = cli("notify", "--config", str(path))

    assert result.exit_code == 2
    assert result.stderr.strip() == f'Error: {path}: [[notify]] #1 ("team"): {message}'
    assert "xyzzy" not in result.stdout + result.stderr
