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
- takes every message through the shared input path (:mod:`bot.channels.pipeline`):
  control characters cleaned, over-long messages and floods refused with an explanation
  in the chat, malformed ones (not an object, no text, more than
  :data:`~bot.channels.limits.MAX_BODY_BYTES` of JSON) ignored, and "temporarily
  unavailable" when the turn failed or came back silent.

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

from bot.channels.limits import MAX_BODY_BYTES, SENDER_ID, ChatMessage, RequestError
from bot.channels.pipeline import InputPipeline

logger = logging.getLogger(__name__)


def valid_session_id(value: object) -> str | None:
    """``value`` if it can name a conversation (see :data:`SENDER_ID`), else None."""
    return value if isinstance(value, str) and SENDER_ID.match(value) else None


def event_size(data: object) -> int:
    """Bytes of ``data`` as JSON: the socket.io counterpart of a request body's size."""
    try:
        return len(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError):
        return MAX_BODY_BYTES + 1


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipeline = InputPipeline(self.name())

    def admit(self, data: object) -> ChatMessage | RequestError:
        """A ``user_uttered`` event through the shared checks (its size counts like a body's)."""
        if not isinstance(data, dict):
            return RequestError(400, "a message must be an object")
        if event_size(data) > MAX_BODY_BYTES:
            return RequestError(413, f"a message event is larger than {MAX_BODY_BYTES} bytes")
        return self.pipeline.admit(
            data.get("session_id"),
            data.get("message"),
            message_metadata(data.get(self.metadata_key)),
        )

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
                hint = data.get("lang") if isinstance(data.get("lang"), str) else None
                await self.start_session(app["rasa"], sio, session_id, hint)

        async def user_uttered(sid: str, data: dict[str, Any] | None) -> None:
            session_id = (
                valid_session_id(data.get("session_id")) if isinstance(data, dict) else None
            )
            if session_id is None or session_id not in sio.rooms(sid, namespace=namespace):
                logger.warning("socket.io message for a session the socket has not joined; ignored")
                return
            assert isinstance(data, dict)
            output = SocketIOOutput(sio, self.bot_message_evt)
            text, metadata = data.get("message"), message_metadata(data.get(self.metadata_key))
            admitted = self.admit(data)
            agent = getattr(app["rasa"].ctx, "agent", None) if "rasa" in app else None
            await self.pipeline.deliver(
                admitted, text, metadata, output, on_new_message, agent, session_id
            )

        # python-socketio keeps one handler per event: these replace Rasa's.
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, user_uttered, namespace=namespace)
        return webhook

    async def start_session(
        self, server: Sanic, sio: AsyncServer, session_id: str, lang: str | None = None
    ) -> None:
        """Run ``action_session_start`` for a new (or expired) conversation, as Rasa would at
        its first message, so the widget shows the disclosure before the user types.

        The metadata says that no message follows (``session_request``: the disclosure is sent
        now, see actions.conversation.ActionSessionStart) and which language the page is in
        (``lang``, the widget's hint). Uses the agent's lock so it cannot interleave with a
        message of the same session.
        """
        agent = getattr(server.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return
        output = SocketIOOutput(sio, self.bot_message_evt)
        async with agent.lock_store.lock(session_id):
            metadata = {"session_request": True, **({"lang": lang} if lang else {})}
            tracker = await agent.processor.fetch_tracker_and_update_session(
                session_id, output, metadata
            )
            await agent.processor.save_tracker(tracker)
