"""Per-sender rate limiting: one client flooding a conversation cannot starve the others.

A token bucket per conversation id: ``burst`` messages at once, refilled at ``per_minute``
a minute. A patient typing (or a widget resending after a reconnect) never reaches it; a
script posting hundreds of messages gets 429 answers after the burst. Each Rasa replica
keeps its own buckets, so behind a balancer of N replicas a sender gets up to N times the
rate — still bounded, and no shared state on the hot path.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_BURST = 20
DEFAULT_PER_MINUTE = 60
#: Buckets kept in memory; the least recently used are forgotten first (a full bucket).
MAX_SENDERS = 100_000


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated: float


def take(
    bucket: Bucket | None, now: float, burst: int, per_minute: float
) -> tuple[bool, Bucket, float]:
    """Whether one message may pass, the new bucket, and seconds until the next token if not."""
    if bucket is None:
        bucket = Bucket(float(burst), now)
    rate = per_minute / 60.0
    tokens = min(float(burst), bucket.tokens + max(0.0, now - bucket.updated) * rate)
    if tokens >= 1.0:
        return True, Bucket(tokens - 1.0, now), 0.0
    return False, Bucket(tokens, now), (1.0 - tokens) / rate if rate > 0 else float("inf")


class RateLimiter:
    """Token buckets by sender (see :func:`take`)."""

    def __init__(
        self,
        burst: int = DEFAULT_BURST,
        per_minute: float = DEFAULT_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.per_minute, self.clock = burst, per_minute, clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> RateLimiter:
        """``PNS_RATE_BURST`` and ``PNS_RATE_PER_MINUTE`` (defaults 20 and 60)."""
        return cls(
            int(environ.get("PNS_RATE_BURST") or DEFAULT_BURST),
            float(environ.get("PNS_RATE_PER_MINUTE") or DEFAULT_PER_MINUTE),
        )

    def allow(self, sender: str) -> tuple[bool, float]:
        """Whether ``sender`` may send now; if not, after how many seconds."""
        allowed, bucket, wait = take(
            self._buckets.pop(sender, None), self.clock(), self.burst, self.per_minute
        )
        self._buckets[sender] = bucket
        if len(self._buckets) > MAX_SENDERS:
            self._buckets.popitem(last=False)
        return allowed, wait
