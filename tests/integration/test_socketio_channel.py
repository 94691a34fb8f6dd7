"""The widget's socket.io channel, spoken by a protocol client (python-socketio), so the
server's rules are tested apart from the widget: the disclosure at session start, replies
reaching the session's room, and no writing into someone else's session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from tests.integration.conftest import Channels

pytestmark = pytest.mark.integration


class WidgetClient:
    """A socket.io client that speaks Rasa's widget protocol and collects bot messages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.session_id: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.sio.on("bot_uttered", self.received.append)
        self.sio.on(
            "session_confirm", lambda sid: self.session_id.done() or self.session_id.set_result(sid)
        )

    async def start(self, session_id: Any = None, lang: str = "en") -> str:
        await self.sio.connect(self.base, socketio_path="/socket.io", transports=["polling"])
        await self.sio.emit("session_request", {"session_id": session_id, "lang": lang})
        return await asyncio.wait_for(self.session_id, 30)

    async def say(self, text: str, session_id: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def close(self) -> None:
        """Leave without waiting for the pending long-poll to end (up to 25 s on polling)."""
        await self.sio.eio.disconnect(abort=True)

    async def wait_for(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        for _ in range(int(timeout * 10)):
            if len(self.received) >= count:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # the rest of a multi-message reply
        return self.received


async def test_new_session_gets_the_disclosure_before_any_message(channels: Channels) -> None:
    client = WidgetClient(channels.assistant.base)
    try:
        session = await client.start()
        messages = await client.wait_for(1)
        assert (
            "automated assistant" in messages[0]["text"]
            and "cannot diagnose" in messages[0]["text"]
        )
        await client.say("what is anti-Yo?", session)
        messages = await client.wait_for(3)
        assert "cancer" in " ".join(m.get("text", "") for m in messages).lower()
        assert messages[-1]["quick_replies"][0] == {
            "content_type": "text",
            "title": "Yes",
            "payload": '/give_feedback{"helpful": "yes"}',
        }
    finally:
        await client.close()


async def test_russian_page_gets_the_disclosure_in_russian(channels: Channels) -> None:
    client = WidgetClient(channels.assistant.base)
    try:
        await client.start(lang="ru")
        messages = await client.wait_for(1)
        assert messages[0]["text"].startswith("Здравствуйте! Я — помощник по ПНС")
    finally:
        await client.close()


async def test_rejoining_a_live_session_does_not_repeat_the_disclosure(channels: Channels) -> None:
    first = WidgetClient(channels.assistant.base)
    session = await first.start("rejoin-session-1")
    await first.wait_for(1)
    await first.close()
    again = WidgetClient(channels.assistant.base)
    try:
        assert await again.start(session) == session
        await asyncio.sleep(3)
        assert again.received == []
    finally:
        await again.close()


async def test_a_socket_cannot_write_into_another_session(channels: Channels) -> None:
    owner, intruder = WidgetClient(channels.assistant.base), WidgetClient(channels.assistant.base)
    try:
        session = await owner.start()
        await owner.wait_for(1)
        await intruder.start("intruder-own-session")
        await intruder.wait_for(1)
        before = len(owner.received)
        await intruder.say("what is LEMS?", session)
        await asyncio.sleep(4)
        assert len(owner.received) == before
        events = channels.assistant.tracker(session)["events"]
        assert [e for e in events if e["event"] == "user"] == []
        await owner.say("what is LEMS?", session)  # the owner's own message is answered
        assert "LEMS" in " ".join(m.get("text", "") for m in await owner.wait_for(before + 2))
    finally:
        await owner.close()
        await intruder.close()


async def test_too_long_message_is_refused_with_an_explanation(channels: Channels) -> None:
    client = WidgetClient(channels.assistant.base)
    try:
        session = await client.start()
        await client.wait_for(1)
        await client.say("a" * 2001, session)
        messages = await client.wait_for(2)
        assert "too long" in messages[-1]["text"]
        assert [
            e for e in channels.assistant.tracker(session)["events"] if e["event"] == "user"
        ] == []
    finally:
        await client.close()
