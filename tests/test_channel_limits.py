"""Checks every channel applies to incoming requests (bot/channels/limits.py)."""

from __future__ import annotations

import json

import pytest

from bot.channels.limits import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    RequestError,
    check_message,
    parse_json_object,
)


def test_a_json_object_is_parsed() -> None:
    assert parse_json_object(b'{"sender": "a", "message": "hi"}') == {
        "sender": "a",
        "message": "hi",
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"{", 400),
        (b"\xff", 400),
        (b"[]", 400),
        (b'"text"', 400),
        (b"null", 400),
        (b" " * (MAX_BODY_BYTES + 1), 413),
    ],
)
def test_bad_bodies_are_refused_with_a_status(body: bytes, status: int) -> None:
    with pytest.raises(RequestError) as error:
        parse_json_object(body)
    assert error.value.status == status
    assert error.value.as_json() == {"status": status, "error": error.value.message}


def test_a_valid_message_passes_with_its_metadata() -> None:
    message = check_message(
        {"sender": "user-1@web", "message": "what is LEMS?", "metadata": {"page": "x"}}
    )
    assert (message.sender, message.text, message.metadata) == (
        "user-1@web",
        "what is LEMS?",
        {"page": "x"},
    )


def test_numeric_sender_ids_are_kept_as_text() -> None:
    assert check_message({"sender": 42, "message": "hi"}).sender == "42"


@pytest.mark.parametrize(
    "data",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "a/b", "message": "hi"},
        {"sender": "x" * 129, "message": "hi"},
        {"sender": True, "message": "hi"},
        {"sender": "a", "message": "   "},
        {"sender": "a", "message": 3},
        {"sender": "a", "message": "hi", "metadata": [1]},
    ],
)
def test_malformed_messages_are_400(data: dict) -> None:
    with pytest.raises(RequestError) as error:
        check_message(data)
    assert error.value.status == 400


def test_an_over_long_message_is_413() -> None:
    assert check_message({"sender": "a", "message": "a" * MAX_MESSAGE_CHARS}).text
    with pytest.raises(RequestError) as error:
        check_message({"sender": "a", "message": "a" * (MAX_MESSAGE_CHARS + 1)})
    assert error.value.status == 413


def test_a_full_length_message_fits_in_the_body_limit() -> None:
    body = json.dumps(
        {"sender": "s" * 128, "message": "\u00e9" * MAX_MESSAGE_CHARS, "metadata": {}}
    )
    assert len(body.encode()) < MAX_BODY_BYTES
