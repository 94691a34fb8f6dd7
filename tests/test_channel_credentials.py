"""The credentials file generated at start-up (bot/channels/credentials.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.utils.io import read_config_file

from bot.channels import MAX_CHANNEL, TELEGRAM_CHANNEL, VK_CHANNEL
from bot.channels.credentials import resolve_channels, write_credentials

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "credentials.yml"
REST = "bot.channels.rest.LimitedRestInput"
SOCKETIO = "bot.channels.socketio.SessionSocketIOInput"


def test_without_messenger_variables_only_rest_and_socketio_are_on(tmp_path: Path) -> None:
    target = tmp_path / "credentials.yml"
    report = write_credentials(TEMPLATE, target, environ={})
    assert report.enabled == [REST, SOCKETIO]
    assert report.disabled == {
        TELEGRAM_CHANNEL: ["PNS_TELEGRAM_SECRET", "PNS_TELEGRAM_TOKEN"],
        MAX_CHANNEL: ["PNS_MAX_SECRET", "PNS_MAX_TOKEN"],
        VK_CHANNEL: ["PNS_VK_CONFIRMATION", "PNS_VK_GROUP_ID", "PNS_VK_SECRET", "PNS_VK_TOKEN"],
    }
    loaded = read_config_file(target)  # as Rasa reads it, with its ${…} expansion
    assert set(loaded) == {REST, SOCKETIO}
    assert loaded[SOCKETIO]["session_persistence"] is True


def test_telegram_is_on_when_configured_with_defaults_filled_in(tmp_path: Path) -> None:
    target = tmp_path / "var" / "credentials.yml"
    report = write_credentials(
        TEMPLATE, target, environ={"PNS_TELEGRAM_TOKEN": "1:abc", "PNS_TELEGRAM_SECRET": "s3cret"}
    )
    assert TELEGRAM_CHANNEL in report.enabled and TELEGRAM_CHANNEL not in report.disabled
    assert read_config_file(target)[TELEGRAM_CHANNEL] == {
        "access_token": "1:abc",
        "secret_token": "s3cret",
        "webhook_url": "",
        "api_url": "https://api.telegram.org",
    }
    assert target.stat().st_mode & 0o077 == 0  # holds the bot token: owner-only


def test_given_optional_values_win_over_defaults() -> None:
    template = {"c": {"url": "${URL:-http://default}", "fixed": 3, "list": ["${A}", "x"]}}
    channels, report = resolve_channels(template, {"URL": "http://given", "A": "a"})
    assert channels == {"c": {"url": "http://given", "fixed": 3, "list": ["a", "x"]}}
    assert report.enabled == ["c"]


def test_an_empty_required_variable_counts_as_missing() -> None:
    channels, report = resolve_channels({"c": {"token": "${TOKEN}"}}, {"TOKEN": ""})
    assert channels == {} and report.disabled == {"c": ["TOKEN"]}


def test_a_value_that_rasa_would_expand_again_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve_channels({"c": {"token": "${TOKEN}"}}, {"TOKEN": "${HOME}"})


def test_the_template_itself_is_not_expanded_by_the_loader_after_rasa_is_imported(
    tmp_path: Path,
) -> None:
    import rasa.shared.utils.io  # noqa: F401  registers Rasa's global !env_var resolver

    template = tmp_path / "template.yml"
    template.write_text(yaml.safe_dump({"c": {"token": "${UNSET_FOR_THIS_TEST}"}}))
    report = write_credentials(template, tmp_path / "out.yml", environ={})
    assert report.disabled == {"c": ["UNSET_FOR_THIS_TEST"]}


def test_max_and_vk_are_on_when_configured_with_their_api_defaults(tmp_path: Path) -> None:
    target = tmp_path / "credentials.yml"
    environ = {
        "PNS_MAX_TOKEN": "max-token",
        "PNS_MAX_SECRET": "max-secret-1",
        "PNS_VK_TOKEN": "vk-token",
        "PNS_VK_GROUP_ID": "42",
        "PNS_VK_SECRET": "vk-secret",
        "PNS_VK_CONFIRMATION": "abc123",
    }
    report = write_credentials(TEMPLATE, target, environ=environ)
    assert MAX_CHANNEL in report.enabled and VK_CHANNEL in report.enabled
    loaded = read_config_file(target)
    assert loaded[MAX_CHANNEL] == {
        "access_token": "max-token",
        "secret": "max-secret-1",
        "webhook_url": "",
        "api_url": "https://platform-api2.max.ru",
    }
    assert loaded[VK_CHANNEL]["api_url"] == "https://api.vk.com/method"
    assert str(loaded[VK_CHANNEL]["group_id"]) == "42"
