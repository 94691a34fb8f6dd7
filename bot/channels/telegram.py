"""Telegram channel whose webhook only Telegram can call.

Rasa 3.6's :class:`~rasa.core.channels.telegram.TelegramInput` accepts any POST to its
webhook: whoever learns the URL can talk to the bot under any chat id, and so make it
send messages to any Telegram user who once wrote to it. Telegram's defence is the
secret token given to ``setWebhook``, which Telegram then sends with every update in the
``X-Telegram-Bot-Api-Secret-Token`` header. This connector:

- answers 403 to a webhook call without the right secret (constant-time comparison),
  before the body is even read, so such a request never reaches the bot;
- registers the webhook (``setWebhook`` with the secret) when the server starts, if a
  public ``webhook_url`` is configured; failing to reach Telegram is logged, not fatal;
- maps the ``/start`` command (and ``/help``) to intents, so starting the bot greets,
  and follows the greeting with the KB's privacy notice (no names, phone or document
  numbers); the command menu is registered in Russian and English (``setMyCommands``);
- passes the user's ``language_code`` (``ru*``/``en*``) as ``metadata.lang``;
- takes every message through the shared input path (:mod:`bot.channels.pipeline`: limits,
  control characters, rate limit, "temporarily unavailable");
- turns buttons into an inline keyboard and acknowledges button presses
  (``answerCallbackQuery``, which stops the client's spinner);
- sends every text as plain text (no ``parse_mode``), so staff-written text that
  contains ``<b>`` or ``<script>`` is shown as written, never interpreted;
- talks to the Bot API at ``api_url`` (default ``https://api.telegram.org``), which the
  tests point at a local fake server.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError
from aiohttp import ClientError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import ChatMessage, RequestError
from bot.channels.pipeline import InputPipeline, Turn, read_json
from bot.channels.texts import language_hint, message_language, privacy_notice

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API_URL = "https://api.telegram.org"
#: Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a secret token.
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: Telegram's limit on a button's callback data.
MAX_CALLBACK_BYTES = 64
#: Bot commands and the message the assistant understands for them.
COMMANDS = {"/start": "/greet", "/help": "/ask_capabilities"}
#: The command menu, by the user's app language (Russian is also the default menu).
COMMAND_MENU = {
    "ru": [
        {"command": "start", "description": "Начать разговор"},
        {"command": "help", "description": "Что умеет помощник"},
    ],
    "en": [
        {"command": "start", "description": "Start the conversation"},
        {"command": "help", "description": "What the assistant can do"},
    ],
}


def command_text(text: str) -> str:
    """``/start`` (also ``/start@PnsBot`` or with a deep-link parameter) → ``/greet``, etc."""
    command = text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower() if text.strip() else ""
    return COMMANDS.get(command, text)


def callback_data(button: dict[str, Any]) -> str:
    """What pressing the button sends back: its payload, or its title when the payload is
    longer than Telegram allows (typing the title has the same meaning)."""
    payload = str(button.get("payload") or button.get("title") or "")
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
        return payload
    return str(button.get("title", ""))[:MAX_CALLBACK_BYTES]


class TelegramBotOutput(TelegramOutput):
    """Rasa's Telegram output, on a configurable Bot API server, buttons one per row."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        # TelegramOutput.__init__ cannot pass a server; aiogram's Bot takes one.
        super(TelegramOutput, self).__init__(
            access_token, server=TelegramAPIServer.from_base(api_url)
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The text with an inline keyboard, one button per row (titles stay readable)."""
        keyboard = InlineKeyboardMarkup()
        for button in buttons:
            keyboard.row(InlineKeyboardButton(button["title"], callback_data=callback_data(button)))
        await self.send_message(recipient_id, text, reply_markup=keyboard)


class SecretTelegramInput(InputChannel):
    """Telegram webhook authenticated by the secret token header."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials or not credentials.get("access_token"):
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            access_token=str(credentials["access_token"]),
            secret_token=str(credentials.get("secret_token") or ""),
            webhook_url=credentials.get("webhook_url") or None,
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str,
        secret_token: str,
        webhook_url: str | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        """Refuses to start without a usable secret: an open webhook is the bug this fixes."""
        if not SECRET_TOKEN.match(secret_token):
            raise ValueError(
                "telegram: secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ or -"
            )
        self.access_token = access_token
        self.secret_token = secret_token
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.pipeline = InputPipeline(self.name())

    def get_output_channel(self) -> TelegramBotOutput:
        return TelegramBotOutput(self.access_token, self.api_url)

    def authentic(self, request: Request) -> bool:
        """Whether the request carries our secret (constant time, so it cannot be guessed
        byte by byte from response times)."""
        sent = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(sent.encode("utf-8"), self.secret_token.encode("utf-8"))

    async def register_webhook(self, out: TelegramBotOutput) -> None:
        """Tell Telegram where to post updates and which secret to send with them."""
        if not self.webhook_url:
            logger.warning(
                "telegram: no webhook_url (PNS_TELEGRAM_WEBHOOK_URL); not calling setWebhook"
            )
            return
        try:
            await out.request(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": self.secret_token,
                    "allowed_updates": '["message", "callback_query"]',
                },
            )
            logger.info("telegram: webhook registered at %s", self.webhook_url)
        except (TelegramAPIError, ClientError, OSError) as error:
            logger.error(
                "telegram: setWebhook failed (%s); the channel receives nothing until it succeeds",
                error,
            )
            return
        await self.register_commands(out)

    async def register_commands(self, out: TelegramBotOutput) -> None:
        """The ``/start`` and ``/help`` menu in Russian (default) and English."""
        for lang in ("ru", "en"):
            params: dict[str, Any] = {
                "commands": json.dumps(COMMAND_MENU[lang], ensure_ascii=False)
            }
            if lang != "ru":
                params["language_code"] = lang
            try:
                await out.request("setMyCommands", params)
            except (TelegramAPIError, ClientError, OSError) as error:
                logger.warning("telegram: setMyCommands (%s) failed: %s", lang, error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` under ``/webhooks/telegram``."""
        webhook = Blueprint("secret_telegram_webhook", __name__)
        out = self.get_output_channel()

        @webhook.listener("after_server_start")
        async def start(_app: Sanic, _loop: object) -> None:
            await self.register_webhook(out)

        @webhook.listener("before_server_stop")
        async def stop(_app: Sanic, _loop: object) -> None:
            await out.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not self.authentic(request):
                return response.json(
                    {"status": 403, "error": "wrong or missing secret token"}, status=403
                )
            try:
                update = await read_json(request)
            except RequestError as error:
                return response.json(error.as_json(), status=error.status)
            await self.handle_update(
                update, out, on_new_message, getattr(request.app.ctx, "agent", None)
            )
            return response.json({"ok": True})

        return webhook

    def admit(self, update: dict[str, Any]) -> ChatMessage | RequestError | None:
        """A text message or button press through the shared checks; None for other updates."""
        chat_id, text, _, locale = extract_update(update)
        if chat_id is None or text is None:
            return None
        return self.pipeline.admit(str(chat_id), command_text(text), update_metadata(locale))

    async def handle_update(
        self,
        update: dict[str, Any],
        out: TelegramBotOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any | None = None,
    ) -> None:
        """Pass a text message or a button press to the bot; ignore other update kinds.

        Errors are logged, and Telegram still gets 200: a non-2xx answer makes Telegram
        re-send the same update, again and again, holding up the chat's later updates.
        """
        chat_id, text, callback_id, locale = extract_update(update)
        metadata = update_metadata(locale)
        admitted = self.admit(update)
        try:
            if callback_id is not None:
                await out.answer_callback_query(callback_id)
            if admitted is None or text is None:
                return
            sender = str(chat_id)
            outcome = await self.pipeline.deliver(
                admitted, text, metadata, out, on_new_message, agent, sender
            )
            if is_start(text) and outcome is Turn.ANSWERED:
                notice = privacy_notice(message_language(text, metadata))
                await self.pipeline.send_safely(out, sender, notice)
        except Exception:
            logger.exception("telegram: update %s could not be handled", update.get("update_id"))


def update_metadata(locale: str | None) -> dict[str, str] | None:
    """``{"lang": …}`` from the user's ``language_code`` when it is Russian or English."""
    lang = language_hint(locale)
    return {"lang": lang} if lang else None


def is_start(text: str) -> bool:
    """Whether ``text`` is the ``/start`` command (the conversation's welcome)."""
    return command_text(text) == COMMANDS["/start"]


def extract_update(
    update: dict[str, Any],
) -> tuple[int | None, str | None, str | None, str | None]:
    """``(chat id, text, callback query id, user's language code)`` of a text message or a
    button press; Nones for anything else."""
    query = update.get("callback_query")
    if isinstance(query, dict):
        chat = (query.get("message") or {}).get("chat") or {}
        data, query_id = query.get("data"), query.get("id")
        return (
            _chat_id(chat),
            data if isinstance(data, str) else None,
            query_id if isinstance(query_id, str) else None,
            _language_code(query.get("from")),
        )
    message = update.get("message")
    if isinstance(message, dict):
        text = message.get("text")
        return (
            _chat_id(message.get("chat") or {}),
            text if isinstance(text, str) else None,
            None,
            _language_code(message.get("from")),
        )
    return None, None, None, None


def _language_code(user: object) -> str | None:
    code = user.get("language_code") if isinstance(user, dict) else None
    return code if isinstance(code, str) else None


def update_language(update: dict[str, Any]) -> str | None:
    """``from.language_code`` of the message or button press ("ru", "en-GB", …), if any."""
    part = update.get("callback_query") or update.get("message")
    sender = part.get("from") if isinstance(part, dict) else None
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return code if isinstance(code, str) and code else None


def _chat_id(chat: object) -> int | None:
    value = chat.get("id") if isinstance(chat, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
