"""VK community messages through the Callback API: events in, ``messages.send`` out.

Written from the public documentation (https://dev.vk.com/api/callback/getting-started,
``messages.send``, bot keyboards). VK posts every event of the community as JSON
``{"type", "object", "group_id", "event_id", "secret", "v"}`` and expects the text ``ok``;
when it does not get it, it delivers the same event again. This connector:

- answers the ``confirmation`` request with the community's confirmation string (that is
  how VK checks the server address belongs to us);
- checks ``group_id`` and the ``secret`` of every event (constant time) and answers 403
  to a mismatch without processing anything;
- ``message_new`` in a private dialog → the answer with ``messages.send``; each message
  carries a ``random_id`` derived from the event and its position, so a resent call can
  never put the same message in the chat twice; an event delivered again (same
  ``event_id``) is acknowledged and not answered twice;
- the "Start" button (payload ``{"command": "start"}``) → the greeting with the
  disclosure, then the KB's privacy notice;
- sends buttons as an inline keyboard of ``text`` buttons whose payload carries the Rasa
  payload (pressing one sends its label as a message, with that payload); all text plain;
- passes the user's interface language (``client_info.lang_id``: 0 Russian, 3 English)
  as ``metadata.lang``;
- acknowledges at once and handles the event in the background, one at a time per user;
- takes every message through the shared input path (:mod:`bot.channels.pipeline`).

Conversation ids are ``vk-<peer_id>``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import ChatMessage, RequestError
from bot.channels.messaging import (
    BotApiClient,
    RecentKeys,
    SenderOrder,
    paragraphs,
    secret_matches,
)
from bot.channels.pipeline import InputPipeline, Turn, read_json
from bot.channels.texts import message_language, privacy_notice

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.vk.com/method"
API_VERSION = "5.199"
#: ``peer_id`` from this value up is a group chat, not a dialog with one user.
CHAT_PEER_START = 2_000_000_000
#: ``messages.send`` text limit (characters).
MAX_TEXT_CHARS = 4096
#: Button label and payload limits of VK keyboards.
MAX_LABEL_CHARS = 40
MAX_PAYLOAD_CHARS = 255
#: VK interface language ids → our languages.
LANG_IDS = {0: "ru", 3: "en"}
SENDER_PREFIX = "vk-"


class VkApiError(RuntimeError):
    """VK answered a method call with an error (or not at all)."""


class VkApi(BotApiClient):
    """``messages.send`` with the community token."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL) -> None:
        super().__init__(token, base_url)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        form = {**params, "access_token": self.token, "v": API_VERSION}
        try:
            async with self.http().post(f"{self.base_url}/{method}", data=form) as reply:
                data = await reply.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise VkApiError(f"{method}: {error!r}") from error
        if reply.status >= 400 or not isinstance(data, dict) or "error" in data:
            raise VkApiError(f"{method}: HTTP {reply.status} {data}")
        return data.get("response")

    async def send(
        self, peer_id: int, text: str, random_id: int, keyboard: dict[str, Any] | None
    ) -> Any:
        params: dict[str, Any] = {"peer_id": peer_id, "random_id": random_id, "message": text}
        if keyboard is not None:
            params["keyboard"] = json.dumps(keyboard, ensure_ascii=False)
        return await self.call("messages.send", params)


def random_id(event_key: str, index: int) -> int:
    """The ``random_id`` of the ``index``-th message sent for an event: the same on every
    attempt, so VK drops a repeated send instead of showing it twice (positive int32)."""
    digest = hashlib.sha256(f"{event_key}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


def keyboard(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    """Rasa buttons as a VK inline keyboard, one ``text`` button per row.

    The Rasa payload travels in the button's payload (``{"p": …}``); if it does not fit
    VK's 255 characters the button has none, and the label (the same meaning typed out) is
    what the assistant reads.
    """
    rows = []
    for button in buttons:
        label = str(button.get("title") or "")[:MAX_LABEL_CHARS]
        action: dict[str, Any] = {"type": "text", "label": label}
        payload = json.dumps({"p": str(button.get("payload") or label)}, ensure_ascii=False)
        if len(payload) <= MAX_PAYLOAD_CHARS:
            action["payload"] = payload
        rows.append([{"action": action, "color": "secondary"}])
    return {"inline": True, "buttons": rows}


def peer_id_of(sender: str) -> int:
    if not sender.startswith(SENDER_PREFIX):
        raise ValueError(f"not a VK conversation id: {sender!r}")
    return int(sender[len(SENDER_PREFIX) :])


class VkOutput(OutputChannel):
    """Sends one event's replies (numbered for their ``random_id``); a failed send is
    logged, not raised."""

    @classmethod
    def name(cls) -> str:
        return "vk"

    def __init__(self, api: VkApi, event_key: str) -> None:
        self.api = api
        self.event_key = event_key
        self.count = 0

    async def _send(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]] | None
    ) -> None:
        parts = paragraphs(text, MAX_TEXT_CHARS)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            rid = random_id(self.event_key, self.count)
            self.count += 1
            try:
                await self.api.send(
                    peer_id_of(recipient_id),
                    part,
                    rid,
                    keyboard(buttons) if last and buttons else None,
                )
            except VkApiError as error:
                logger.error("vk: a message to %s was not delivered: %s", recipient_id, error)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, buttons)


@dataclass(frozen=True)
class VkEvent:
    kind: str  # "start" | "message"
    peer_id: int
    text: str | None
    lang: str | None
    key: str


def _payload(value: object) -> dict[str, Any]:
    """A message's button payload (JSON text) as a dict; anything else → empty."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def parse_event(event: dict[str, Any]) -> VkEvent | None:
    """The ``message_new`` of a private dialog as the assistant needs it; None otherwise
    (other event types, group chats, messages of communities)."""
    if event.get("type") != "message_new":
        return None
    obj = event.get("object") if isinstance(event.get("object"), dict) else {}
    message = obj.get("message") if isinstance(obj.get("message"), dict) else {}
    peer_id, from_id = message.get("peer_id"), message.get("from_id")
    if not (isinstance(peer_id, int) and isinstance(from_id, int)) or isinstance(peer_id, bool):
        return None
    if peer_id >= CHAT_PEER_START or peer_id <= 0 or from_id <= 0:
        return None
    client = obj.get("client_info") if isinstance(obj.get("client_info"), dict) else {}
    lang = LANG_IDS.get(client.get("lang_id")) if isinstance(client.get("lang_id"), int) else None
    key = str(event.get("event_id") or f"{peer_id}:{message.get('conversation_message_id')}")
    payload = _payload(message.get("payload"))
    if payload.get("command") == "start":
        return VkEvent("start", peer_id, None, lang, key)
    text = payload.get("p") if isinstance(payload.get("p"), str) else message.get("text")
    return VkEvent("message", peer_id, text if isinstance(text, str) else None, lang, key)


class VkInput(InputChannel):
    """VK Callback API server for one community."""

    @classmethod
    def name(cls) -> str:
        return "vk"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials or not credentials.get("access_token"):
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        group_id = str(credentials.get("group_id") or "")
        if not group_id.isdigit():
            raise ValueError("vk: PNS_VK_GROUP_ID must be the community's numeric id")
        return cls(
            access_token=str(credentials["access_token"]),
            group_id=int(group_id),
            secret=str(credentials.get("secret") or ""),
            confirmation=str(credentials.get("confirmation") or ""),
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str,
        group_id: int,
        secret: str,
        confirmation: str,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        """Refuses to start without a secret (anyone could post events) or the community."""
        if not secret or len(secret) > 50 or not secret.isascii():
            raise ValueError("vk: secret must be 1-50 ASCII characters (VK's secret key field)")
        if group_id <= 0 or not confirmation:
            raise ValueError("vk: group_id and the confirmation string are required")
        self.group_id = group_id
        self.secret = secret
        self.confirmation = confirmation
        self.api = VkApi(access_token, api_url)
        self.pipeline = InputPipeline(self.name())
        self.recent = RecentKeys()
        self.order = SenderOrder()

    def get_output_channel(self) -> VkOutput:
        """For messages Rasa sends outside a user's turn (reminders, triggered intents):
        a fresh key, so their ``random_id`` values never repeat earlier ones."""
        return VkOutput(self.api, f"out-{uuid.uuid4().hex}")

    def authentic(self, event: dict[str, Any]) -> bool:
        return event.get("group_id") == self.group_id and secret_matches(
            event.get("secret"), self.secret
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` under ``/webhooks/vk``."""
        webhook = Blueprint("vk_webhook", __name__)

        @webhook.listener("before_server_stop")
        async def stop(_app: Sanic, _loop: object) -> None:
            await self.order.drain()
            await self.api.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                event = await read_json(request)  # the secret is in the body
            except RequestError as error:
                return response.json(error.as_json(), status=error.status)
            if event.get("type") == "confirmation" and event.get("group_id") == self.group_id:
                if "secret" not in event or secret_matches(event.get("secret"), self.secret):
                    return response.text(self.confirmation)
            if not self.authentic(event):
                return response.json({"status": 403, "error": "wrong secret or community"}, 403)
            parsed = parse_event(event)
            if parsed is not None and self.recent.first_time(parsed.key):
                agent = getattr(request.app.ctx, "agent", None)
                sender = f"{SENDER_PREFIX}{parsed.peer_id}"
                work = self.handle(
                    parsed, sender, self.admit(parsed, sender), on_new_message, agent
                )
                self.order.start(sender, work)
            return response.text("ok")

        return webhook

    def admit(self, event: VkEvent, sender: str) -> ChatMessage | RequestError | None:
        """Checked on arrival (the rate limit counts arrivals); None: no text to check."""
        text = "/greet" if event.kind == "start" else event.text
        return None if text is None else self.pipeline.admit(sender, text, event_metadata(event))

    async def handle(
        self,
        event: VkEvent,
        sender: str,
        admitted: ChatMessage | RequestError | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any | None,
    ) -> None:
        """One event, in the background: the answer (or the welcome)."""
        if admitted is None:
            return  # a sticker, a photo…: nothing the assistant can read
        out = VkOutput(self.api, event.key)
        metadata = event_metadata(event)
        outcome = await self.pipeline.deliver(
            admitted, event.text, metadata, out, on_new_message, agent, sender
        )
        if event.kind == "start" and outcome is Turn.ANSWERED:
            notice = privacy_notice(message_language(None, metadata))
            await self.pipeline.send_safely(out, sender, notice)


def event_metadata(event: VkEvent) -> dict[str, str] | None:
    """``{"lang": …}`` from the user's VK interface language when it is Russian or English."""
    return {"lang": event.lang} if event.lang else None
