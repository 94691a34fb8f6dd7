"""Concurrent turns of one conversation on different Rasa replicas, and what the tracker kept.

Shared by the cluster test (with the project's lock store, must be clean) and by
``python -m tests.integration.race`` (``make race-stock``), which starts a cluster with
Rasa's stock ``RedisLockStore`` to show why the project ships its own (RasaHQ/rasa#9213).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from tests.integration.conversation_checks import check_conversation

QUESTIONS = (
    "what is LEMS?",
    "how is it treated?",
    "what does anti-Yo mean?",
    "should I see a doctor?",
)
Remember = Callable[[str, str, Any], None]


async def send_race(
    replicas: Sequence[str],
    conversations: int,
    rounds: int,
    per_round: int,
    remember: Remember,
    prefix: str = "race",
) -> Counter:
    """``rounds`` times, ``per_round`` messages of each conversation at once, alternating
    between ``replicas``; the answers' statuses. Accepted messages go to ``remember``."""
    statuses: Counter = Counter()

    async def post(http: aiohttp.ClientSession, base: str, sender: str, text: str) -> None:
        async with http.post(
            f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as resp:
            body = await resp.json(content_type=None)
            statuses[resp.status] += 1
            if resp.status == 200:
                remember(sender, text, body)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as http:
        for r in range(rounds):
            await asyncio.gather(
                *(
                    post(
                        http,
                        replicas[i % len(replicas)],
                        f"{prefix}-{c}",
                        f"{QUESTIONS[i % len(QUESTIONS)]} (turn {r}.{i})",
                    )
                    for c in range(conversations)
                    for i in range(per_round)
                )
            )
    return statuses


def count_problems(
    trackers: dict[str, list[dict[str, Any]]],
    sent: dict[str, list[str]],
    unanswered_ok: dict[str, set[str]] | None = None,
) -> Counter:
    """Lost, duplicated and interleaved turns over the given conversations."""
    problems: Counter = Counter(lost=0, duplicated=0, interleaved=0)
    for sender, events in trackers.items():
        check = check_conversation(events, sent[sender], (unanswered_ok or {}).get(sender, set()))
        problems.update(
            lost=len(check.lost),
            duplicated=len(check.duplicated),
            interleaved=len(check.interleaved),
        )
    return problems


def stock_lock_store_run(
    conversations: int = 6, rounds: int = 3, per_round: int = 4
) -> dict[str, Any]:
    """A cluster with Rasa's RedisLockStore, the same race, the problems found."""
    from bot.cluster import Cluster, ClusterPorts
    from bot.settings import load_settings
    from tests.integration.running import Assistant

    state = Path(tempfile.mkdtemp(prefix="pns-cluster-stock-"))
    state.chmod(0o755)
    ports = ClusterPorts.free()
    token = "race-token"
    environ = {**os.environ, "PNS_RASA_TOKEN": token, "PNS_ACTION_SECRET": "race-secret"}
    stock = {"type": "redis", "url": "127.0.0.1", "port": ports.redis, "db": 0}
    group = Cluster(load_settings(environ=environ), state, ports, durable=False, lock_store=stock)
    sent: dict[str, list[str]] = defaultdict(list)
    try:
        group.start()
        replicas = [f"http://127.0.0.1:{p}" for p in ports.rasa]
        statuses = asyncio.run(
            send_race(
                replicas,
                conversations,
                rounds,
                per_round,
                lambda s, t, _: sent[s].append(t.strip()),
            )
        )
        http = Assistant(None, group.url, token, "", group.log_dir)  # type: ignore[arg-type]
        trackers = {f"race-{c}": http.tracker(f"race-{c}")["events"] for c in range(conversations)}
        problems = count_problems(trackers, sent)
    finally:
        group.stop()
        shutil.rmtree(state, ignore_errors=True)
    return {
        "lock_store": "rasa.core.lock_store.RedisLockStore (stock)",
        "conversations": conversations,
        "rounds": rounds,
        "per_round": per_round,
        "messages": conversations * rounds * per_round,
        "statuses": dict(statuses),
        **problems,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="the concurrent-turns race with Rasa's stock RedisLockStore"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "docs" / "reliability-stock-lock.json",
    )
    args = parser.parse_args(argv)
    started = time.time()
    result = stock_lock_store_run()
    result["run_at_utc"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime(started))
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
