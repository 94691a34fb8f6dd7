"""What the local stand-ins for messenger APIs (MAX, VK) share: an aiohttp server on
127.0.0.1 in a thread of its own, a record of every call, and injectable trouble (slow
answers, error answers) so tests can see how the channel copes with a platform in trouble.

The platforms are external services the test machine cannot (and must not) reach; each
fake answers the methods the connectors use the way the public documentation says.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.integration.running import free_port


@dataclass(frozen=True)
class Call:
    """One API request: the method, its query/form parameters and JSON body."""

    method: str
    params: dict[str, Any]
    body: Any = None


@dataclass
class Trouble:
    """Injected trouble: the next ``fail`` calls answer ``status``; every call waits ``delay``."""

    fail: int = 0
    status: int = 503
    delay: float = 0.0
    failed: list[Call] = field(default_factory=list)


class FakeApi:
    """Base of the fakes: subclasses add routes in :meth:`routes` and call :meth:`record`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[Call] = []
        self.trouble = Trouble()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def troubled(self, call: Call) -> bool:
        """Apply injected trouble to ``call``: True if it must be answered with an error."""
        with self._lock:
            delay = self.trouble.delay
            failing = self.trouble.fail > 0
            if failing:
                self.trouble.fail -= 1
                self.trouble.failed.append(call)
        if delay:
            await asyncio.sleep(delay)
        return failing

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    async def _start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def start(self) -> FakeApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def recorded(self, method: str, match: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (match is None or match(c))]

    def wait_for(
        self,
        method: str,
        match: Callable[[Call], bool] | None = None,
        until: Callable[[list[Call]], bool] | None = None,
        timeout: float = 90.0,
        settle: float = 1.0,
    ) -> list[Call]:
        """Wait until ``until(calls)`` holds (default: at least one call), then ``settle``
        seconds more so the rest of a multi-message reply has arrived too."""
        return wait_for_calls(
            lambda: self.recorded(method, match), until, timeout, settle, f"matching {method}"
        )


def wait_for_calls(
    read: Callable[[], list[Call]],
    until: Callable[[list[Call]], bool] | None,
    timeout: float,
    settle: float,
    what: str,
) -> list[Call]:
    """Poll ``read()`` until ``until`` holds of it (default: not empty), then ``settle`` more
    seconds; the calls then. Shared by every fake API (MAX, VK, Telegram)."""
    until = until or bool
    deadline = time.monotonic() + timeout
    while not until(calls := read()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:.0f}s; got {calls}")
        time.sleep(0.2)
    time.sleep(settle)
    return read()
