"""REST channel for other integrations: the documented request/response shape and the 4xx
answers to requests that are malformed or too large (Rasa's own channel answered 500)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from bot.channels.limits import MAX_BODY_BYTES, MAX_MESSAGE_CHARS
from tests.integration.conftest import Channels

pytestmark = pytest.mark.integration

WEBHOOK = "/webhooks/rest/webhook"


def test_answer_is_a_list_of_messages_with_texts_and_buttons(channels: Channels) -> None:
    status, messages = channels.assistant.post_raw(
        WEBHOOK, json.dumps({"sender": "rest-shape", "message": "what is anti-Yo?"}).encode()
    )
    assert status == 200
    assert all(m["recipient_id"] == "rest-shape" for m in messages)
    assert "automated assistant" in messages[0]["text"]
    assert "cancer" in " ".join(m.get("text", "") for m in messages).lower()
    assert messages[-1] == {
        "recipient_id": "rest-shape",
        "text": "Was this helpful?",
        "buttons": [
            {"title": "Yes", "payload": '/give_feedback{"helpful": "yes"}'},
            {"title": "No", "payload": '/give_feedback{"helpful": "no"}'},
        ],
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not valid JSON"),
        (json.dumps({"message": "hi"}).encode(), "'sender'"),
        (json.dumps({"sender": "a b", "message": "hi"}).encode(), "'sender'"),
        (json.dumps({"sender": "x"}).encode(), "'message'"),
        (json.dumps({"sender": "x", "message": ["hi"]}).encode(), "'message'"),
        (json.dumps({"sender": "x", "message": "hi", "metadata": "m"}).encode(), "'metadata'"),
    ],
)
def test_malformed_request_gets_400_saying_what_is_wrong(
    channels: Channels, body: bytes, error: str
) -> None:
    status, answer = channels.assistant.post_raw(WEBHOOK, body)
    assert status == 400
    assert answer["status"] == 400 and error in answer["error"]


def test_too_long_message_gets_413(channels: Channels) -> None:
    body = json.dumps({"sender": "long", "message": "a" * (MAX_MESSAGE_CHARS + 1)}).encode()
    status, answer = channels.assistant.post_raw(WEBHOOK, body)
    assert status == 413 and "longer than" in answer["error"]


def test_oversized_body_gets_413_declared_or_streamed(channels: Channels) -> None:
    body = json.dumps({"sender": "big", "message": "a" * (MAX_BODY_BYTES + 10)}).encode()
    assert channels.assistant.post_raw(WEBHOOK, body)[0] == 413
    # chunked, without Content-Length: the limit is applied while reading
    parts = urlsplit(channels.assistant.base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST",
        WEBHOOK,
        body=iter([body[i : i + 8192] for i in range(0, len(body), 8192)]),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_numeric_sender_still_works(channels: Channels) -> None:
    status, messages = channels.assistant.post_raw(
        WEBHOOK, json.dumps({"sender": 31337, "message": "hello"}).encode()
    )
    assert status == 200 and messages[0]["recipient_id"] == "31337"
