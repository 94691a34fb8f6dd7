"""A local stand-in for the VK API (https://api.vk.com/method), on 127.0.0.1, and the
Callback API events VK posts to the webhook.

Written from the public documentation (dev.vk.com: Callback API, ``messages.send``, bot
keyboards): methods are ``POST /method/<name>`` with form parameters including
``access_token`` and ``v``; errors come back as HTTP 200 with ``{"error": {"error_code",
"error_msg"}}`` (5: authorization failed, 100: a parameter is invalid); ``messages.send``
needs ``peer_id``, ``random_id`` and ``message``, and a ``random_id`` already used in that
dialog does not send the message again (the fake records such a call as a duplicate);
keyboards are JSON with ``buttons`` (rows), text buttons' ``label`` at most 40 characters
and ``payload`` JSON of at most 255 characters.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from aiohttp import web

from tests.integration.fake_api import Call, FakeApi

_ids = itertools.count(1)


def keyboard_problem(raw: str) -> str | None:
    """Why ``raw`` is not a keyboard VK accepts, or None."""
    try:
        keyboard = json.loads(raw)
    except ValueError:
        return "keyboard is not JSON"
    rows = keyboard.get("buttons") if isinstance(keyboard, dict) else None
    if not isinstance(rows, list) or not rows:
        return "keyboard.buttons must be a non-empty list of rows"
    if keyboard.get("inline") and len(rows) > 6:
        return "an inline keyboard has at most 6 rows"
    for row in rows:
        if not isinstance(row, list) or not 1 <= len(row) <= 5:
            return "a row has 1 to 5 buttons"
        for button in row:
            action = button.get("action") if isinstance(button, dict) else None
            if not isinstance(action, dict) or action.get("type") != "text":
                return f"unexpected button {button!r}"
            label = action.get("label")
            if not isinstance(label, str) or not 1 <= len(label) <= 40:
                return "a text button's label has 1 to 40 characters"
            payload = action.get("payload")
            if payload is not None:
                if not isinstance(payload, str) or len(payload) > 255:
                    return "payload is a JSON string of at most 255 characters"
                try:
                    json.loads(payload)
                except ValueError:
                    return "payload must be JSON"
    return None


class FakeVkApi(FakeApi):
    """VK API for one community token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.duplicates: list[Call] = []
        self._random_ids: dict[tuple[str, str], int] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/method/{method}", self._handle)

    def _error(self, code: int, message: str) -> web.Response:
        return web.json_response({"error": {"error_code": code, "error_msg": message}})

    async def _handle(self, request: web.Request) -> web.Response:
        params = {key: str(value) for key, value in (await request.post()).items()}
        call = Call(request.match_info["method"], params)
        if await self.troubled(call):
            return web.json_response({"error": "injected"}, status=self.trouble.status)
        if params.pop("access_token", None) != self.token:
            return self._error(5, "User authorization failed: invalid access_token")
        if not params.get("v"):
            return self._error(8, "Invalid request: v (version) is required")
        if call.method != "messages.send":
            return self._error(3, "Unknown method passed")
        for name in ("peer_id", "random_id"):
            if not params.get(name, "").lstrip("-").isdigit():
                return self._error(
                    100, f"One of the parameters specified was missing or invalid: {name}"
                )
        if not params.get("message"):
            return self._error(
                100, "One of the parameters specified was missing or invalid: message"
            )
        if "keyboard" in params:
            problem = keyboard_problem(params["keyboard"])
            if problem:
                return self._error(911, f"Keyboard format is invalid: {problem}")
        call = Call(call.method, params)
        key = (params["peer_id"], params["random_id"])
        with self._lock:
            known = self._random_ids.get(key)
            if known is not None:
                self.duplicates.append(call)
                return web.json_response({"response": known})
            self._random_ids[key] = message_id = next(_ids)
        self.record(call)
        return web.json_response({"response": message_id})

    def sent_to(self, peer_id: int) -> list[Call]:
        return self.recorded("messages.send", lambda c: c.params.get("peer_id") == str(peer_id))


# ---- events as VK posts them to the Callback API server ----------------------------------


def event(group_id: int, secret: str | None, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "group_id": group_id,
        "type": kind,
        "event_id": f"ev{next(_ids):08x}",
        "v": "5.199",
        "object": obj,
    }
    if secret is not None:
        body["secret"] = secret
    return body


def message_new(
    group_id: int,
    secret: str | None,
    peer_id: int,
    text: str,
    payload: dict[str, Any] | None = None,
    lang_id: int = 3,
) -> dict[str, Any]:
    """A message from a user in the community's dialog (``lang_id`` 3: English, 0: Russian)."""
    message: dict[str, Any] = {
        "date": int(time.time()),
        "from_id": peer_id if peer_id < 2_000_000_000 else 1234,
        "id": next(_ids),
        "out": 0,
        "peer_id": peer_id,
        "text": text,
        "conversation_message_id": next(_ids),
        "fwd_messages": [],
        "important": False,
        "random_id": 0,
        "attachments": [],
        "is_hidden": False,
    }
    if payload is not None:
        message["payload"] = json.dumps(payload)
    return event(
        group_id,
        secret,
        "message_new",
        {
            "message": message,
            "client_info": {
                "button_actions": [
                    "text",
                    "vkpay",
                    "open_app",
                    "location",
                    "open_link",
                    "callback",
                ],
                "keyboard": True,
                "inline_keyboard": True,
                "carousel": True,
                "lang_id": lang_id,
            },
        },
    )


def pressed(group_id: int, secret: str, peer_id: int, button: dict[str, Any], lang_id: int = 3):
    """What VK posts when the user presses a text button: its label as the message text,
    with the button's payload."""
    action = button["action"]
    payload = json.loads(action["payload"]) if "payload" in action else None
    return message_new(group_id, secret, peer_id, action["label"], payload, lang_id)
