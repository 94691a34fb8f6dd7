"""MAX (VK's national messenger) through its Bot API: webhook in, ``POST /messages`` out.

Written from the public documentation (https://dev.max.ru/docs-api): ``POST /subscriptions``
registers the webhook with a ``secret``, which MAX then sends with every update in the
``X-Max-Bot-Api-Secret`` header; the body of each call is one ``Update`` object with an
``update_type``. This connector:

- answers 403 to a webhook call without the right secret (constant-time comparison) before
  the body is read, so such a request never reaches the bot;
- subscribes the webhook (``POST /subscriptions`` with the secret and the update types it
  handles) when the server starts, if a public ``webhook_url`` is configured;
- ``bot_started`` (the user pressed "Start") → the greeting with the disclosure, then the
  KB's privacy notice; ``message_created`` in a dialog → the answer; ``message_callback``
  (a button press) → the callback is answered (``POST /answers``, which ends the button's
  spinner) and its payload goes to the bot; other update types are acknowledged, ignored;
- passes the update's ``user_locale`` (``ru``/``en``) as ``metadata.lang``;
- sends buttons as an inline keyboard of ``callback`` buttons, every text as plain text
  (no ``format``, so staff-written ``<b>`` is shown as typed), one message per paragraph;
- acknowledges each update at once and handles it in the background, one at a time per
  user; an update delivered again (same message id / callback id) is not answered twice;
- takes every message through the shared input path (:mod:`bot.channels.pipeline`).

Conversation ids are ``max-<user_id>`` so they cannot collide with other channels' ids.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
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
from bot.channels.texts import BUTTON_ACK, language_hint, message_language, privacy_notice, say

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"
DEFAULT_API_URL = "https://platform-api2.max.ru"
#: The update types the channel subscribes to and handles.
UPDATE_TYPES = ("bot_started", "message_created", "message_callback")
#: A message's text limit in ``POST /messages`` (documented: up to 4000 characters).
MAX_TEXT_CHARS = 4000
#: Callback payloads longer than this are replaced by the button's title (typing the title
#: means the same to the assistant). The schema does not state a limit we could rely on.
MAX_PAYLOAD_CHARS = 1024
#: Secrets we accept for the subscription: letters, digits, ``_`` and ``-``.
SECRET = re.compile(r"^[A-Za-z0-9_-]{5,256}$")
#: MAX accepts at most two messages a second in one dialog: a reply of several paragraphs
#: is spaced out so its last parts are not refused.
MIN_SEND_INTERVAL_S = 0.5
SENDER_PREFIX = "max-"


class MaxApiError(RuntimeError):
    """MAX answered a Bot API call with an error status (or not at all)."""


class MaxApi(BotApiClient):
    """The few Bot API methods the channel uses."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL) -> None:
        super().__init__(token, base_url)
        self._last_send: dict[int, float] = {}

    async def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One request with the token in the ``Authorization`` header (the documented way;
        tokens in query parameters are no longer accepted)."""
        try:
            async with self.http().request(
                method,
                self.base_url + path,
                params=params,
                json=body,
                headers={"Authorization": self.token},
            ) as reply:
                data = await reply.json(content_type=None)
                if reply.status >= 400:
                    raise MaxApiError(f"{method} {path}: HTTP {reply.status} {data}")
                return data
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise MaxApiError(f"{method} {path}: {error!r}") from error

    async def subscribe(self, url: str, secret: str) -> Any:
        return await self.call(
            "POST",
            "/subscriptions",
            body={"url": url, "update_types": list(UPDATE_TYPES), "secret": secret},
        )

    async def send(self, user_id: int, text: str, buttons: list[dict[str, Any]] | None) -> Any:
        wait = self._last_send.get(user_id, 0.0) + MIN_SEND_INTERVAL_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send[user_id] = time.monotonic()
        if len(self._last_send) > 10_000:  # forget the quiet ones
            cutoff = time.monotonic() - MIN_SEND_INTERVAL_S
            self._last_send = {k: v for k, v in self._last_send.items() if v > cutoff}
        body: dict[str, Any] = {"text": text}
        if buttons:
            body["attachments"] = [inline_keyboard(buttons)]
        return await self.call("POST", "/messages", params={"user_id": user_id}, body=body)

    async def answer_callback(self, callback_id: str, notification: str) -> Any:
        return await self.call(
            "POST",
            "/answers",
            params={"callback_id": callback_id},
            body={"notification": notification},
        )


def inline_keyboard(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    """Rasa buttons as a MAX inline keyboard, one ``callback`` button per row."""
    rows = []
    for button in buttons:
        title = str(button.get("title") or "")
        payload = str(button.get("payload") or title)
        if len(payload) > MAX_PAYLOAD_CHARS:
            payload = title
        rows.append([{"type": "callback", "text": title, "payload": payload}])
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}


def user_id_of(sender: str) -> int:
    """``max-123`` → 123 (the conversation id back to the MAX user)."""
    if not sender.startswith(SENDER_PREFIX):
        raise ValueError(f"not a MAX conversation id: {sender!r}")
    return int(sender[len(SENDER_PREFIX) :])


class MaxOutput(OutputChannel):
    """Sends the assistant's messages to a MAX user; a failed send is logged, not raised
    (the turn itself went through; the platform being down must not lose the tracker)."""

    @classmethod
    def name(cls) -> str:
        return "max"

    def __init__(self, api: MaxApi) -> None:
        self.api = api

    async def _send(self, recipient_id: str, text: str, buttons: list[dict[str, Any]] | None):
        parts = paragraphs(text, MAX_TEXT_CHARS) or ([" "] if buttons else [])
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                await self.api.send(user_id_of(recipient_id), part, buttons if last else None)
            except MaxApiError as error:
                logger.error("max: a message to %s was not delivered: %s", recipient_id, error)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, buttons)


@dataclass(frozen=True)
class MaxEvent:
    """What the assistant needs from one update."""

    kind: str  # "start" | "message" | "button"
    user_id: int
    text: str | None
    callback_id: str | None
    locale: str | None
    key: str  # the same for a redelivery of the same update


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_update(update: dict[str, Any]) -> MaxEvent | None:
    """The event of an ``Update`` the channel handles, or None (other types, group chats,
    messages from bots, updates without a user)."""
    kind = update.get("update_type")
    locale = update.get("user_locale") if isinstance(update.get("user_locale"), str) else None
    if kind == "bot_started":
        user_id = _int(_dict(update.get("user")).get("user_id"))
        if user_id is None:
            return None
        key = f"start:{user_id}:{update.get('timestamp')}"
        return MaxEvent("start", user_id, None, None, locale, key)
    if kind == "message_created":
        message = _dict(update.get("message"))
        sender, recipient, body = (_dict(message.get(k)) for k in ("sender", "recipient", "body"))
        user_id = _int(sender.get("user_id"))
        if (
            user_id is None
            or sender.get("is_bot")
            or recipient.get("chat_type", "dialog") != "dialog"
        ):
            return None
        text = body.get("text") if isinstance(body.get("text"), str) else None
        key = f"mid:{body.get('mid') or (user_id, update.get('timestamp'))}"
        return MaxEvent("message", user_id, text, None, locale, key)
    if kind == "message_callback":
        callback = _dict(update.get("callback"))
        user_id = _int(_dict(callback.get("user")).get("user_id"))
        callback_id = callback.get("callback_id")
        if user_id is None or not isinstance(callback_id, str):
            return None
        payload = callback.get("payload") if isinstance(callback.get("payload"), str) else None
        return MaxEvent("button", user_id, payload, callback_id, locale, f"cb:{callback_id}")
    return None


class MaxInput(InputChannel):
    """MAX webhook authenticated by the ``X-Max-Bot-Api-Secret`` header."""

    @classmethod
    def name(cls) -> str:
        return "max"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials or not credentials.get("access_token"):
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            access_token=str(credentials["access_token"]),
            secret=str(credentials.get("secret") or ""),
            webhook_url=credentials.get("webhook_url") or None,
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str,
        secret: str,
        webhook_url: str | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        """Refuses to start without a usable secret: an open webhook would let anyone
        write to the bot as any MAX user."""
        if not SECRET.match(secret):
            raise ValueError("max: secret must be 5-256 characters of A-Z, a-z, 0-9, _ or -")
        self.secret = secret
        self.webhook_url = webhook_url
        self.api = MaxApi(access_token, api_url)
        self.pipeline = InputPipeline(self.name())
        self.recent = RecentKeys()
        self.order = SenderOrder()

    def get_output_channel(self) -> MaxOutput:
        return MaxOutput(self.api)

    def authentic(self, request: Request) -> bool:
        return secret_matches(request.headers.get(SECRET_HEADER, ""), self.secret)

    async def register_webhook(self) -> None:
        if not self.webhook_url:
            logger.warning("max: no webhook_url (PNS_MAX_WEBHOOK_URL); not subscribing")
            return
        try:
            await self.api.subscribe(self.webhook_url, self.secret)
            logger.info("max: webhook subscribed at %s", self.webhook_url)
        except MaxApiError as error:
            logger.error("max: subscription failed (%s); the channel receives nothing", error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` under ``/webhooks/max``."""
        webhook = Blueprint("max_webhook", __name__)

        @webhook.listener("after_server_start")
        async def start(_app: Sanic, _loop: object) -> None:
            await self.register_webhook()

        @webhook.listener("before_server_stop")
        async def stop(_app: Sanic, _loop: object) -> None:
            await self.order.drain()
            await self.api.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not self.authentic(request):
                return response.json({"status": 403, "error": "wrong or missing secret"}, 403)
            try:
                update = await read_json(request)
            except RequestError as error:
                return response.json(error.as_json(), status=error.status)
            event = parse_update(update)
            if event is not None and self.recent.first_time(event.key):
                agent = getattr(request.app.ctx, "agent", None)
                sender = f"{SENDER_PREFIX}{event.user_id}"
                work = self.handle(event, sender, self.admit(event, sender), on_new_message, agent)
                self.order.start(sender, work)
            return response.json({"ok": True})

        return webhook

    def admit(self, event: MaxEvent, sender: str) -> ChatMessage | RequestError | None:
        """Checked on arrival (the rate limit counts arrivals); None: no text to check."""
        text = "/greet" if event.kind == "start" else event.text
        return None if text is None else self.pipeline.admit(sender, text, event_metadata(event))

    async def handle(
        self,
        event: MaxEvent,
        sender: str,
        admitted: ChatMessage | RequestError | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any | None,
    ) -> None:
        """One update, in the background: acknowledge a button, then answer (or welcome)."""
        out = self.get_output_channel()
        metadata = event_metadata(event)
        if event.callback_id is not None:
            try:
                await self.api.answer_callback(
                    event.callback_id, say(BUTTON_ACK, message_language(None, metadata))
                )
            except MaxApiError as error:
                logger.warning("max: callback %s not answered: %s", event.callback_id, error)
        if admitted is None:
            return  # a sticker, a photo…: nothing the assistant can read
        outcome = await self.pipeline.deliver(
            admitted, event.text, metadata, out, on_new_message, agent, sender
        )
        if event.kind == "start" and outcome is Turn.ANSWERED:
            notice = privacy_notice(message_language(None, metadata))
            await self.pipeline.send_safely(out, sender, notice)


def event_metadata(event: MaxEvent) -> dict[str, str] | None:
    """``{"lang": …}`` from the update's ``user_locale`` when it is Russian or English."""
    lang = language_hint(event.locale)
    return {"lang": lang} if lang else None
