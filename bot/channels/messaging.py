"""Pieces the webhook messengers (MAX, VK) share beyond the input pipeline.

Both platforms post an event to our webhook and expect a quick 2xx; if the answer is slow
or lost they deliver the same event again. So the channels acknowledge at once, handle the
event in the background (one at a time per sender, in arrival order), and remember recent
event keys so a redelivered event is acknowledged without being answered twice.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

#: Seconds a Bot API call may take before the channel gives up on it.
API_TIMEOUT_S = 10.0
#: Event keys remembered per process (a platform retries within minutes, not days).
MAX_RECENT = 50_000


def secret_matches(sent: object, expected: str) -> bool:
    """Constant-time comparison, so a secret cannot be guessed byte by byte from timings."""
    if not isinstance(sent, str) or not expected:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


class BotApiClient:
    """A platform's Bot API client: its token, base URL and one aiohttp session, opened on
    first use (inside the server's event loop) and closed with the channel."""

    def __init__(self, token: str, base_url: str) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_S)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class RecentKeys:
    """A bounded set of recently seen event keys (least recently added forgotten first)."""

    def __init__(self, size: int = MAX_RECENT) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` is offered, False for a repeat."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class SenderOrder:
    """Background handling one event at a time per sender, in the order events arrived."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def turn_of(self, sender: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(sender) or (asyncio.Lock(), 0)
        self._locks[sender] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[sender]
            if users <= 1:
                del self._locks[sender]  # nobody else waits: forget the sender
            else:
                self._locks[sender] = (lock, users - 1)

    def start(self, sender: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` after the sender's earlier events; errors are logged."""

        async def run() -> None:
            async with self.turn_of(sender):
                try:
                    await work
                except Exception:
                    logger.exception("an event of %s could not be handled", sender)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (a while) for events still being handled, e.g. before the server stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def paragraphs(text: str, limit: int) -> list[str]:
    """``text`` as one message per paragraph (as Telegram's channel sends it), each part
    at most ``limit`` characters (a longer paragraph is cut at the last space before it)."""
    parts: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            parts.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        if paragraph:
            parts.append(paragraph)
    return parts
