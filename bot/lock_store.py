"""A conversation lock in Redis that two Rasa replicas cannot both hold.

Rasa Open Source's ``RedisLockStore`` keeps a JSON ticket queue under one key and changes
it with separate GET and SET calls (issue a ticket, finish serving, clean up). Two
replicas that take the same conversation at once both read the old queue and both write
theirs: both get ticket 1 and process at the same time, or a finishing replica deletes
the key under a waiter, which then fails with ``LockError`` (RasaHQ/rasa#9213; the fix
was reverted from the open-source edition). Concurrent turns of one conversation then
overwrite each other's events in the tracker store.

Here the lock is one Redis key taken atomically (``SET key token NX PX ttl``) with a
random owner token, extended while the holder works and released by compare-and-delete
(a Lua script), so only the owner ever removes or extends it. The time-to-live is short
and renewed, so a replica that dies holding a lock blocks that conversation for seconds,
not for Rasa's 60 s ticket lifetime. If Redis cannot be reached, :class:`LockError` is
raised — the message is refused with "temporarily unavailable" rather than processed
without mutual exclusion (docs/reliability.md, "Redis down").

Configured in ``endpoints.yml``::

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "pns:lock:"
#: Lifetime of a lock that is not renewed (its holder died); renewed every third of it.
DEFAULT_TTL_S = 10.0
#: Longest a turn waits for the conversation's previous turn before giving up.
DEFAULT_WAIT_S = 60.0
#: Pause between attempts while another replica holds the lock.
POLL_INTERVAL_S = 0.02
#: Attempts to reach Redis before a turn is refused (the first may hit a stale connection).
CONNECT_ATTEMPTS = 3

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class AtomicRedisLockStore(LockStore):
    """Mutual exclusion per conversation across replicas (see the module docstring)."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        url: str | None = None,
        ttl_s: float | None = None,
        wait_s: float | None = None,
        socket_timeout_s: float = 2.0,
        **_: Any,
    ) -> None:
        """``url`` (or the endpoint's ``url``) is a ``redis://host:port/db`` URL."""
        kwargs = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        url = url or (endpoint_config.url if endpoint_config is not None else None)
        if not url:
            raise ValueError("AtomicRedisLockStore needs a redis:// url")
        self.url = url
        self.ttl_s = float(
            ttl_s or kwargs.get("ttl_s") or os.environ.get("PNS_LOCK_TTL_S") or DEFAULT_TTL_S
        )
        self.wait_s = float(
            wait_s or kwargs.get("wait_s") or os.environ.get("PNS_LOCK_WAIT_S") or DEFAULT_WAIT_S
        )
        self.socket_timeout_s = socket_timeout_s
        self._clients: dict[int, aioredis.Redis] = {}
        super().__init__()

    def _client(self) -> aioredis.Redis:
        """One client per event loop: redis.asyncio connections belong to the loop that made it."""
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.socket_timeout_s,
                socket_connect_timeout=self.socket_timeout_s,
            )
            self._clients[loop] = client
        return client

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock for the duration of the ``async with`` block.

        Rasa's signature is kept (``lock_lifetime``, ``wait_time_in_seconds``); the lock
        does not expire while held, so ``lock_lifetime`` only bounds how long we wait.
        """
        client = self._client()
        key = KEY_PREFIX + conversation_id
        token = secrets.token_hex(16)
        await self._acquire(client, key, token, min(self.wait_s, max(lock_lifetime, self.ttl_s)))
        renewer = asyncio.ensure_future(self._keep_alive(client, key, token))
        try:
            yield TicketLock(conversation_id)
        finally:
            renewer.cancel()
            try:
                await client.eval(_RELEASE, 1, key, token)
            except RedisError as error:  # the lock expires by itself after ttl_s
                logger.warning("could not release the lock of a conversation: %s", error)

    async def _acquire(self, client: aioredis.Redis, key: str, token: str, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        ttl_ms = int(self.ttl_s * 1000)
        failures = 0
        while True:
            try:
                if await client.set(key, token, nx=True, px=ttl_ms):
                    return
            except RedisError as error:
                # a connection broken by a Redis restart fails once; a down Redis keeps failing
                failures += 1
                if failures >= CONNECT_ATTEMPTS:
                    raise LockError(f"lock store unavailable: {error}") from error
            if time.monotonic() > deadline:
                raise LockError(f"conversation still locked by another turn after {wait_s:.0f}s")
            await asyncio.sleep(POLL_INTERVAL_S)

    async def _keep_alive(self, client: aioredis.Redis, key: str, token: str) -> None:
        """Extend the lock every third of its lifetime while its holder works."""
        ttl_ms = int(self.ttl_s * 1000)
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                if not await client.eval(_RENEW, 1, key, token, ttl_ms):
                    logger.error("a conversation lock expired while its turn was still running")
                    return
            except RedisError as error:
                logger.warning("could not extend a conversation lock: %s", error)
