"""A local stand-in for the MAX Bot API (https://platform-api2.max.ru), on 127.0.0.1.

Written from the public documentation (dev.max.ru/docs-api): the token travels in the
``Authorization`` header (401 otherwise); ``POST /subscriptions`` takes ``url``,
``update_types`` and ``secret``; ``POST /messages?user_id=…`` takes ``text`` (at most 4000
characters) and ``attachments`` (an ``inline_keyboard`` with rows of buttons); ``POST
/answers?callback_id=…`` takes a ``message`` and/or a ``notification``. It records every
call and refuses what MAX would refuse (400), so a malformed keyboard fails the tests.
It also builds the ``Update`` objects MAX posts to the webhook.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp import web

from tests.integration.fake_api import Call, FakeApi

MAX_TEXT = 4000
BUTTON_TYPES = {"callback", "link", "request_contact", "request_geo_location", "chat", "message"}
_ids = itertools.count(1)


def keyboard_problem(attachments: object) -> str | None:
    """Why ``attachments`` is not a valid list of inline keyboards, or None."""
    if not isinstance(attachments, list):
        return "attachments must be a list"
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("type") != "inline_keyboard":
            return "only inline_keyboard attachments are expected from this bot"
        rows = (attachment.get("payload") or {}).get("buttons")
        if not isinstance(rows, list) or not rows:
            return "inline_keyboard.payload.buttons must be a non-empty list of rows"
        for row in rows:
            if not isinstance(row, list) or not row:
                return "each keyboard row must be a non-empty list"
            for button in row:
                if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
                    return f"unknown button {button!r}"
                if not isinstance(button.get("text"), str) or not button["text"]:
                    return "a button needs its text"
                if button["type"] == "callback" and not isinstance(button.get("payload"), str):
                    return "a callback button needs a string payload"
    return None


class FakeMaxApi(FakeApi):
    """Bot API server for one bot token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self.token:
            return web.json_response(
                {"code": "verify.token", "message": "Invalid access_token"}, status=401
            )
        body = await request.json() if request.can_read_body else None
        call = Call(f"{request.method} /{request.match_info['path']}", dict(request.query), body)
        if await self.troubled(call):
            return web.json_response(
                {"code": "internal.error", "message": "injected"}, status=self.trouble.status
            )
        problem = self._problem(call)
        if problem:
            return web.json_response({"code": "proto.payload", "message": problem}, status=400)
        self.record(call)
        return web.json_response(self._result(call))

    def _problem(self, call: Call) -> str | None:
        body = call.body if isinstance(call.body, dict) else {}
        if call.method == "POST /subscriptions":
            if not body.get("url") or not isinstance(body.get("update_types"), list):
                return "url and update_types are required"
        elif call.method == "POST /messages":
            if not call.params.get("user_id") and not call.params.get("chat_id"):
                return "user_id or chat_id is required"
            text = body.get("text")
            if not isinstance(text, str) or len(text) > MAX_TEXT:
                return f"text must be a string of at most {MAX_TEXT} characters"
            if "attachments" in body:
                return keyboard_problem(body["attachments"])
        elif call.method == "POST /answers":
            if not call.params.get("callback_id"):
                return "callback_id is required"
            if "message" not in body and "notification" not in body:
                return "message or notification is required"
        return None

    def _result(self, call: Call) -> Any:
        if call.method == "POST /messages":
            return {
                "message": {
                    "recipient": {"user_id": int(call.params.get("user_id") or 0)},
                    "timestamp": int(time.time() * 1000),
                    "body": {
                        "mid": f"mid.{next(_ids)}",
                        "seq": next(_ids),
                        "text": call.body["text"],
                    },
                }
            }
        return {"success": True}

    def sent_to(self, user_id: int) -> list[Call]:
        return self.recorded("POST /messages", lambda c: c.params.get("user_id") == str(user_id))


# ---- updates as MAX posts them to the webhook -------------------------------------------


def _user(user_id: int) -> dict[str, Any]:
    return {"user_id": user_id, "first_name": "Test", "is_bot": False, "last_activity_time": 0}


def bot_started(user_id: int, locale: str | None = "en") -> dict[str, Any]:
    update: dict[str, Any] = {
        "update_type": "bot_started",
        "timestamp": int(time.time() * 1000) + next(_ids),
        "chat_id": 500_000 + user_id,
        "user": _user(user_id),
    }
    if locale:
        update["user_locale"] = locale
    return update


def message_created(
    user_id: int,
    text: str,
    locale: str | None = "en",
    mid: str | None = None,
    chat_type: str = "dialog",
) -> dict[str, Any]:
    update: dict[str, Any] = {
        "update_type": "message_created",
        "timestamp": int(time.time() * 1000),
        "message": {
            "sender": _user(user_id),
            "recipient": {"chat_id": 500_000 + user_id, "chat_type": chat_type},
            "timestamp": int(time.time() * 1000),
            "body": {"mid": mid or f"mid.in.{next(_ids)}", "seq": next(_ids), "text": text},
        },
    }
    if locale:
        update["user_locale"] = locale
    return update


def message_callback(
    user_id: int, payload: str, callback_id: str, locale: str = "en"
) -> dict[str, Any]:
    return {
        "update_type": "message_callback",
        "timestamp": int(time.time() * 1000),
        "callback": {
            "timestamp": int(time.time() * 1000),
            "callback_id": callback_id,
            "payload": payload,
            "user": _user(user_id),
        },
        "message": {
            "recipient": {"chat_id": 500_000 + user_id, "chat_type": "dialog"},
            "body": {"mid": f"mid.out.{next(_ids)}", "seq": next(_ids), "text": "question"},
        },
        "user_locale": locale,
    }
