"""Telegram connector pieces that need no server (the end-to-end test is in integration/)."""

from __future__ import annotations

import pytest
from sanic.request import Request

from bot.channels.telegram import (
    MAX_CALLBACK_BYTES,
    SECRET_HEADER,
    SecretTelegramInput,
    callback_data,
    command_text,
    extract_update,
)


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("/start", "/greet"),
        ("/start ref-123", "/greet"),
        ("/start@pns_bot", "/greet"),
        ("/START", "/greet"),
        ("/help", "/ask_capabilities"),
        ("what is LEMS?", "what is LEMS?"),
        ("/restart", "/restart"),
        ("", ""),
    ],
)
def test_commands_map_to_intents(text: str, sent: str) -> None:
    assert command_text(text) == sent


def test_callback_data_is_the_payload_or_the_title_when_too_long() -> None:
    assert callback_data({"title": "Yes", "payload": "/affirm"}) == "/affirm"
    long_payload = "/ask_antibodies" + '{"antibody": "yo", "syndrome": "cerebellar_degeneration"}'
    assert len(long_payload.encode()) > MAX_CALLBACK_BYTES
    assert callback_data({"title": "Yes", "payload": long_payload}) == "Yes"


def test_updates_give_chat_text_button_press_and_language() -> None:
    message = {
        "update_id": 1,
        "message": {"chat": {"id": 5}, "text": "hi", "from": {"id": 5, "language_code": "ru"}},
    }
    press = {
        "update_id": 2,
        "callback_query": {
            "id": "q1",
            "data": "/affirm",
            "message": {"chat": {"id": 5}},
            "from": {"id": 5, "language_code": "en-GB"},
        },
    }
    assert extract_update(message) == (5, "hi", None, "ru")
    assert extract_update(press) == (5, "/affirm", "q1", "en-GB")
    assert extract_update({"update_id": 3, "edited_message": {"chat": {"id": 5}, "text": "x"}}) == (
        None,
        None,
        None,
        None,
    )
    assert extract_update({"message": {"chat": {"id": "5"}, "text": "x"}}) == (
        None,
        "x",
        None,
        None,
    )
    assert extract_update({"message": {"chat": {"id": 5}, "sticker": {}}}) == (5, None, None, None)
    assert (
        extract_update({"message": {"chat": {"id": 5}, "text": "x", "from": {"language_code": 7}}})[
            3
        ]
        is None
    )


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "ünïcode"])
def test_the_channel_refuses_to_start_without_a_valid_secret(secret: str) -> None:
    with pytest.raises(ValueError):
        SecretTelegramInput("1:abc", secret)


def request_with(headers: dict[str, str]) -> Request:
    return Request(b"/webhooks/telegram/webhook", headers, "1.1", "POST", None, None)  # type: ignore[arg-type]


def test_only_the_exact_secret_authenticates() -> None:
    channel = SecretTelegramInput("1:abc", "right-secret")
    assert channel.authentic(request_with({SECRET_HEADER: "right-secret"}))
    for wrong in (
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "right-secre"},
        {SECRET_HEADER: "right-secrets"},
    ):
        assert not channel.authentic(request_with(wrong))
