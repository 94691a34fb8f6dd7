"""A local stand-in for the Telegram Bot API (https://api.telegram.org), on 127.0.0.1.

The one test double of the channel tests: Telegram is an external service the test
machine cannot (and must not) reach. It answers the Bot API methods the connector uses the
way Telegram does (``{"ok": true, "result": …}``, 401 for a wrong bot token) and records
every call, so a test can see exactly what the assistant sent to a chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.integration.fake_api import Call, wait_for_calls
from tests.integration.running import free_port


def _decode(value: str) -> Any:
    """aiogram sends objects such as ``reply_markup`` as JSON text inside form fields."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegramApi:
    """Bot API server for one bot token, run on its own event loop in a thread."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = free_port()
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {key: _decode(str(value)) for key, value in (await request.post()).items()}
        with self._lock:
            self.calls.append(Call(method, params))
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": 4242,
                "is_bot": True,
                "first_name": "PNS Assistant",
                "username": "pns_test_bot",
            }
        if method == "sendMessage":
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        return True  # setWebhook, answerCallbackQuery, deleteWebhook, …

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def start(self) -> FakeTelegramApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def recorded(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Calls of ``method`` so far (to ``chat_id`` only, if given)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def wait_for(
        self,
        method: str,
        chat_id: int | None = None,
        until: Callable[[list[Call]], bool] | None = None,
        timeout: float = 90.0,
        settle: float = 1.0,
    ) -> list[Call]:
        """Wait until ``until(calls)`` holds (default: at least one call), then ``settle``
        seconds more so the rest of a multi-message reply has arrived too."""
        return wait_for_calls(
            lambda: self.recorded(method, chat_id),
            until,
            timeout,
            settle,
            f"matching {method} to {chat_id}",
        )
