"""The web widget's socket.io channel: persistent sessions that work on python-socketio 5.x.

Rasa 3.6's :class:`~rasa.core.channels.socketio.SocketIOInput` calls
``sio.enter_room(...)`` without ``await``; in the python-socketio 5.x we install (5.18)
that is a coroutine, so the client never joins its session's room and every reply
(emitted to the room) is lost. This connector keeps Rasa's events and message shapes
(``session_request`` → ``session_confirm``, ``user_uttered`` → ``bot_uttered`` with ``text``
and ``quick_replies``) and fixes that, and it also:

- starts the conversation as soon as the widget asks for a session, so the first thing
  the user sees is the disclosure ("automated assistant, not a doctor") — Rasa's would
  wait for the first typed message; a known, live session is left as it is (reload);
- accepts a message only for a session the sending socket has joined, so nobody can
  write into someone else's conversation by guessing its id;
- refuses over-long messages with an explanation (:mod:`bot.channels.limits`).

Sessions always persist (``session_persistence`` is implied): the widget keeps its
session id in the browser tab and asks for it again after a reload.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic
from socketio import AsyncServer

from bot.channels.limits import (
    MAX_MESSAGE_CHARS,
    SENDER_ID,
    TOO_LONG_REPLY,
    UNAVAILABLE_REPLY,
    RequestError,
    clean_text,
)
from bot.channels.silence import silence_expected, turn_failed

logger = logging.getLogger(__name__)


class CountingSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, counting what it sent so silence can be noticed."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


def valid_session_id(value: object) -> str | None:
    """``value`` if it can name a conversation (see :data:`SENDER_ID`), else None."""
    return value if isinstance(value, str) and SENDER_ID.match(value) else None


def message_metadata(value: object) -> dict[str, Any]:
    """Client metadata as a dict (Rasa's widget protocol allows a JSON string too)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


class SessionSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with working session rooms and a disclosure on connect."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with the session and message handlers replaced."""
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        namespace = self.namespace
        app: dict[str, Sanic] = {}

        @webhook.listener("before_server_start")
        async def remember_app(server: Sanic, _loop: object) -> None:
            app["rasa"] = server  # its ctx.agent runs the session start

        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = valid_session_id(data.get("session_id")) or uuid.uuid4().hex
            await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if "rasa" in app:
                await self.start_session(app["rasa"], sio, session_id)

        async def user_uttered(sid: str, data: dict[str, Any] | None) -> None:
            if not isinstance(data, dict):
                return
            session_id = valid_session_id(data.get("session_id"))
            if session_id is None or session_id not in sio.rooms(sid, namespace=namespace):
                logger.warning("socket.io message for a session the socket has not joined; ignored")
                return
            text = data.get("message")
            if not isinstance(text, str):
                return
            try:
                text = clean_text(text)
            except RequestError:
                return
            if not text.strip():
                return
            output = CountingSocketIOOutput(sio, self.bot_message_evt)
            if len(text) > MAX_MESSAGE_CHARS:
                await output.send_text_message(session_id, TOO_LONG_REPLY)
                return
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        output,
                        session_id,
                        input_channel=self.name(),
                        metadata=message_metadata(data.get(self.metadata_key)),
                    )
                )
            except Exception:  # the patient must not be left waiting for an answer
                logger.exception("socket.io message of a session could not be handled")
            agent = getattr(app["rasa"].ctx, "agent", None) if "rasa" in app else None
            if turn_failed(output) or (
                not output.sent and not await silence_expected(agent, session_id)
            ):
                # no answer: the turn failed, or an action server was unreachable
                await output.send_text_message(session_id, UNAVAILABLE_REPLY)

        # python-socketio keeps one handler per event: these replace Rasa's.
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, user_uttered, namespace=namespace)
        return webhook

    async def start_session(self, server: Sanic, sio: AsyncServer, session_id: str) -> None:
        """Run ``action_session_start`` for a new (or expired) conversation, as Rasa would at
        its first message, so the widget shows the disclosure before the user types.

        Uses the agent's lock so it cannot interleave with a message of the same session.
        """
        agent = getattr(server.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return
        output = SocketIOOutput(sio, self.bot_message_evt)
        async with agent.lock_store.lock(session_id):
            tracker = await agent.processor.fetch_tracker_and_update_session(session_id, output)
            await agent.processor.save_tracker(tracker)
