"""Closed-loop load generator: simulated patients chatting over HTTP, with latency statistics.

Each simulated patient runs a realistic conversation (greeting, knowledge questions with
entities and a follow-up, a referral assessment, thanks) turn by turn — the next message is
sent when the previous reply arrived, as a person would — and starts a new conversation
(new sender id) when done, until the time is up. ``users`` patients run at once.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

#: One patient's conversation with the full assistant (knowledge, follow-up, assessment).
CONVERSATION: tuple[str, ...] = (
    "hello",
    "what is LEMS?",
    "and how is it treated?",
    "what does anti-Yo mean?",
    "should I see a doctor?",
    "yes",
    "no",
    "never tested",
    "thanks",
)

Send = Callable[[aiohttp.ClientSession, str, str], Awaitable[bool]]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class LevelResult:
    """What one load level measured."""

    target: str
    users: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    conversations: int = 0
    #: Server process name → CPU milliseconds it spent per message answered at this level.
    cpu_ms_per_msg: dict[str, float] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.duration_s if self.duration_s else 0.0

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {
            "users": self.users,
            "messages": self.messages,
            "conversations": self.conversations,
            "errors": self.errors,
            "messages_per_s": round(self.throughput, 2),
            "p50_ms": round(percentile(ordered, 50), 1),
            "p95_ms": round(percentile(ordered, 95), 1),
            "p99_ms": round(percentile(ordered, 99), 1),
            **({"cpu_ms_per_msg": dict(self.cpu_ms_per_msg)} if self.cpu_ms_per_msg else {}),
        }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads), from /proc.

    CPU per message is what the servers cost regardless of how busy the machine is, unlike
    latency, which also measures the wait for a core: the comparison that survives load.
    """
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rest_sender(base_url: str) -> Send:
    """Send one message over Rasa's REST channel; True if the bot answered."""

    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        async with http.post(
            f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as resp:
            body = await resp.json(content_type=None)
            return resp.status == 200 and isinstance(body, list) and len(body) > 0

    return send


def parse_sender(base_url: str, token: str | None) -> Send:
    """NLU inference only: POST /model/parse (the floor below any dialogue or action work)."""
    query = f"?token={token}" if token else ""

    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        async with http.post(f"{base_url}/model/parse{query}", json={"text": text}) as resp:
            body = await resp.json(content_type=None)
            return resp.status == 200 and bool(body.get("intent"))

    return send


async def run_level(
    target: str,
    send: Send,
    users: int,
    duration_s: float,
    conversation: Sequence[str] = CONVERSATION,
) -> LevelResult:
    """``users`` patients chatting back-to-back for ``duration_s`` seconds."""
    result = LevelResult(target=target, users=users, duration_s=duration_s)
    ids = itertools.count()
    deadline = time.perf_counter() + duration_s
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)

    async def patient(http: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            sender = f"bench-{target}-{users}-{next(ids)}"
            for text in conversation:
                if time.perf_counter() >= deadline:
                    return
                start = time.perf_counter()
                try:
                    ok = await send(http, sender, text)
                except (TimeoutError, aiohttp.ClientError, ValueError):
                    ok = False
                if ok:
                    result.latencies_ms.append((time.perf_counter() - start) * 1000)
                else:
                    result.errors += 1
            result.conversations += 1

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(patient(http) for _ in range(users)))
        result.duration_s = time.perf_counter() - started
    return result
