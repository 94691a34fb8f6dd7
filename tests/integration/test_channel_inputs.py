"""The table of bad inputs (tests/channel_inputs.py) through all five channels of the
running assistant: REST, socket.io, Telegram, MAX and VK, with the same expected outcome.

Per row: HTTP channels answer the refusal's status (REST for every row; the webhooks for
the body rows, which fail before any message exists); messaging channels tell the patient
only what they can act on (too long, too many) and stay silent otherwise; on every channel
nothing of a refused input reaches Rasa (no user event in the conversation).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.channels.texts import TOO_LONG, TOO_MANY
from tests.channel_inputs import (
    BODY_INPUTS,
    CLEANED,
    TEXT_INPUTS,
    WITH_CONTROL_CHARACTERS,
    BadInput,
    flood,
)
from tests.integration.conftest import MAX_SECRET, RATE_BURST, VK_GROUP, VK_SECRET, Channels
from tests.integration.fake_max import message_created
from tests.integration.fake_vk import message_new
from tests.integration.test_socketio_channel import WidgetClient

pytestmark = pytest.mark.integration

TOLD = {"too_long": TOO_LONG["en"], "too_many": TOO_MANY["en"], None: None}
FLOOD = flood(RATE_BURST)
ROWS = [*TEXT_INPUTS, FLOOD]


def user_texts(channels: Channels, sender: str) -> list[str]:
    events = channels.assistant.tracker(sender)["events"]
    return [e["text"] for e in events if e["event"] == "user"]


def wait_for_turns(channels: Channels, sender: str, count: int, timeout: float = 120) -> None:
    """Until ``count`` user messages of ``sender`` are in the tracker (then 2 s for replies)."""
    deadline = time.monotonic() + timeout
    while len(user_texts(channels, sender)) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)


def at_once(count: int, send: Callable[[int], Any]) -> list[Any]:
    """``send(i)`` for ``i`` in ``range(count)``, all at the same moment (a flood)."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(send, range(count)))


def expect_refused_and_told(
    channels: Channels,
    row: BadInput,
    sender: str,
    replies: Callable[[], list[str]],
) -> None:
    """The messaging channels' outcome of a text row: the patient is told what the row
    says (once) and nothing else happened; for a flood the allowed messages went through."""
    told = TOLD[row.told]
    if row is FLOOD:  # the allowed messages are answered one after another
        wait_for_turns(channels, sender, RATE_BURST)
    said = replies()
    if row is FLOOD:
        assert said.count(told) == 1, said
        assert len(user_texts(channels, sender)) == RATE_BURST
    else:
        assert said == ([told] if told else []), (row.name, said)
        assert user_texts(channels, sender) == []


# ---- REST --------------------------------------------------------------------------------

REST = "/webhooks/rest/webhook"


@pytest.mark.parametrize("row", BODY_INPUTS, ids=lambda r: r.name)
def test_rest_body_rows(channels: Channels, row: BadInput) -> None:
    assert row.body is not None
    status, answer = channels.assistant.post_raw(REST, row.body)
    assert status == row.status and answer["status"] == row.status


def test_rest_text_rows(channels: Channels) -> None:
    for index, row in enumerate(ROWS):
        sender = f"inputs-rest-{index}"
        body = json.dumps({"sender": sender, "message": row.text}).encode()
        statuses = at_once(row.repeat, lambda _: channels.assistant.post_raw(REST, body)[0])
        if row is FLOOD:
            assert statuses.count(429) == 1 and statuses.count(200) == RATE_BURST
            assert len(user_texts(channels, sender)) == RATE_BURST
        else:
            assert statuses == [row.status], row.name
            assert user_texts(channels, sender) == []
    status, _ = channels.assistant.post_raw(
        REST,
        json.dumps({"sender": "inputs-rest-clean", "message": WITH_CONTROL_CHARACTERS}).encode(),
    )
    assert status == 200 and user_texts(channels, "inputs-rest-clean") == [CLEANED]


# ---- Telegram ----------------------------------------------------------------------------

TELEGRAM = "/webhooks/telegram/webhook"


def telegram_update(chat_id: int, text: str | None, n: int = 0) -> dict[str, Any]:
    return {
        "update_id": 50_000 + chat_id * 100 + n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "T", "language_code": "en"},
        },
    }


@pytest.mark.parametrize("row", BODY_INPUTS, ids=lambda r: r.name)
def test_telegram_body_rows(channels: Channels, row: BadInput) -> None:
    assert row.body is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": channels.secret}
    assert channels.assistant.post_raw(TELEGRAM, row.body, headers)[0] == row.status


def test_telegram_text_rows(channels: Channels) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": channels.secret}
    for index, row in enumerate(ROWS):
        chat_id = 61_000 + index

        def send(n: int, chat_id: int = chat_id, row: BadInput = row) -> int:
            body = json.dumps(telegram_update(chat_id, row.text, n)).encode()
            return channels.assistant.post_raw(TELEGRAM, body, headers)[0]

        assert set(at_once(row.repeat, send)) == {200}  # Telegram must not re-send
    time.sleep(3)
    for index, row in enumerate(ROWS):
        chat_id = 61_000 + index
        expect_refused_and_told(
            channels,
            row,
            str(chat_id),
            lambda c=chat_id: [
                x.params["text"] for x in channels.telegram.recorded("sendMessage", c)
            ],
        )


# ---- MAX ---------------------------------------------------------------------------------

MAX = "/webhooks/max/webhook"


@pytest.mark.parametrize("row", BODY_INPUTS, ids=lambda r: r.name)
def test_max_body_rows(channels: Channels, row: BadInput) -> None:
    assert row.body is not None
    headers = {"X-Max-Bot-Api-Secret": MAX_SECRET}
    assert channels.assistant.post_raw(MAX, row.body, headers)[0] == row.status


def test_max_text_rows(channels: Channels) -> None:
    headers = {"X-Max-Bot-Api-Secret": MAX_SECRET}
    for index, row in enumerate(ROWS):
        user_id = 62_000 + index

        def send(_: int, user_id: int = user_id, row: BadInput = row) -> int:
            body = json.dumps(message_created(user_id, row.text or "")).encode()
            return channels.assistant.post_raw(MAX, body, headers)[0]

        assert set(at_once(row.repeat, send)) == {200}
    time.sleep(3)
    for index, row in enumerate(ROWS):
        user_id = 62_000 + index
        expect_refused_and_told(
            channels,
            row,
            f"max-{user_id}",
            lambda u=user_id: [c.body["text"] for c in channels.max.sent_to(u)],
        )


# ---- VK ----------------------------------------------------------------------------------

VK = "/webhooks/vk/webhook"


@pytest.mark.parametrize("row", BODY_INPUTS, ids=lambda r: r.name)
def test_vk_body_rows(channels: Channels, row: BadInput) -> None:
    assert row.body is not None
    assert channels.assistant.post_raw(VK, row.body)[0] == row.status


def test_vk_text_rows(channels: Channels) -> None:
    for index, row in enumerate(ROWS):
        peer_id = 63_000 + index

        def send(_: int, peer_id: int = peer_id, row: BadInput = row) -> int:
            body = json.dumps(message_new(VK_GROUP, VK_SECRET, peer_id, row.text or "")).encode()
            return channels.assistant.post_raw(VK, body)[0]

        assert set(at_once(row.repeat, send)) == {200}
    time.sleep(3)
    for index, row in enumerate(ROWS):
        peer_id = 63_000 + index
        expect_refused_and_told(
            channels,
            row,
            f"vk-{peer_id}",
            lambda p=peer_id: [c.params["message"] for c in channels.vk.sent_to(p)],
        )


# ---- socket.io ---------------------------------------------------------------------------

#: The body rows as a socket.io client can send them: the transport carries JSON (or
#: binary), so "invalid UTF-8" arrives as bytes and "empty" as no data at all.
SOCKETIO_BODIES: dict[str, Callable[[str], Any]] = {
    "empty body": lambda session: None,
    "huge body": lambda session: {"session_id": session, "message": "hi", "pad": "a" * 70_000},
    "invalid UTF-8": lambda session: {"session_id": session, "message": b"\xff\xfe\xc3("},
    "malformed JSON": lambda session: '{"message": ',
    "JSON that is not an object": lambda session: ([1, 2],),  # one list argument
}


async def test_socketio_rows(channels: Channels) -> None:
    assert set(SOCKETIO_BODIES) == {row.name for row in BODY_INPUTS}
    clients: list[tuple[BadInput | str, WidgetClient, str]] = []
    welcome: dict[str, int] = {}  # per session: the messages it got on connecting
    try:
        for name, make in SOCKETIO_BODIES.items():
            client = WidgetClient(channels.assistant.base)
            session = await client.start()
            welcome[session] = len(await client.wait_for(1))  # disclosure, privacy notice
            await client.sio.emit("user_uttered", make(session))
            clients.append((name, client, session))
        for row in ROWS:
            client = WidgetClient(channels.assistant.base)
            session = await client.start()
            welcome[session] = len(await client.wait_for(1))
            for _ in range(row.repeat):
                await client.say(row.text or "", session)
            clients.append((row, client, session))
        await asyncio.sleep(3)
        for what, client, session in clients:
            if what is FLOOD:  # all allowed turns done, their replies received
                for _ in range(240):
                    if len(user_texts(channels, session)) >= RATE_BURST:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)
            said = [m.get("text") for m in client.received[welcome[session] :]]
            if isinstance(what, str):  # a body row: ignored, nothing said
                assert said == [] and user_texts(channels, session) == [], what
            else:
                expect_refused_and_told(channels, what, session, lambda s=said: s)
    finally:
        for _, client, _ in clients:
            await client.close()
