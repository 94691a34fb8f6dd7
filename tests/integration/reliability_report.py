"""docs/reliability.md, written by the cluster test run (tests/integration/test_cluster.py).

The tests put what they measured into a :class:`Reliability` record; at the end of the
module it is rendered here. Only measured values appear: a section whose test did not
run says so.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPRODUCE = ".venv/bin/python -m pytest -m integration tests/integration/test_cluster.py"


@dataclass
class Reliability:
    cluster: dict[str, Any] = field(default_factory=dict)
    load: dict[str, Any] | None = None
    race: dict[str, Any] | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)
    bad_inputs: list[dict[str, Any]] = field(default_factory=list)
    fuzz: dict[str, Any] | None = None
    security: list[dict[str, Any]] = field(default_factory=list)
    integrity: dict[str, Any] | None = None


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def stock_line(stock: dict[str, Any] | None) -> str:
    """The same race against a cluster with Rasa's stock lock store (``make race-stock``)."""
    if not stock:
        return "The same race with Rasa's stock lock store: not run (`make race-stock`)."
    return (
        f"The same race on a cluster with Rasa's stock `RedisLockStore` (`make race-stock`, run "
        f"{stock.get('run_at_utc', '?')} UTC): {stock['messages']} messages, answers "
        f"{stock['statuses']}, "
        f"lost {stock['lost']}, duplicated {stock['duplicated']}, interleaved "
        f"{stock['interleaved']}."
    )


def render(report: Reliability) -> str:
    """The Markdown report (numbers as measured, one section per deliverable)."""
    out = [
        "# Reliability report",
        "",
        f"Written by the cluster test run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({platform.node() or 'host'}, {report.cluster.get('cpus', '?')} CPUs shared with other "
        "jobs). "
        f"Reproduce: `{REPRODUCE}` (starts its own PostgreSQL, Redis, nginx and replicas; about 6 "
        "min).",
        "",
        "## Cluster",
        "",
    ]
    for key, value in report.cluster.items():
        out.append(f"- {key}: {value}")
    out += ["", "## Events lost or garbled", ""]
    if report.integrity:
        i = report.integrity
        out += [
            f"All conversations of the run read back from PostgreSQL: **{i['conversations']} "
            "conversations, "
            f"{i['user_messages']} user messages; lost {i['lost']}, duplicated {i['duplicated']}, "
            f"interleaved/unanswered {i['interleaved']}**.",
            "",
        ]
    else:
        out += ["(integrity check did not run)", ""]
    out += ["## Load held", ""]
    if report.load:
        load = report.load
        out += [
            _row(
                "replicas",
                "users",
                "duration s",
                "conversations",
                "messages",
                "messages/s",
                "p50 ms",
                "p95 ms",
                "errors",
                "unavailable replies",
            ),
            _row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---"),
            _row(
                load["replicas"],
                load["users"],
                load["duration_s"],
                load["conversations"],
                load["messages"],
                load["messages_per_s"],
                load["p50_ms"],
                load["p95_ms"],
                load["errors"],
                load["unavailable"],
            ),
            "",
        ]
    out += ["## Concurrent turns of one conversation on different replicas", ""]
    if report.race:
        r = report.race
        out += [
            f"{r['conversations']} conversations × {r['rounds']} rounds × {r['per_round']} "
            "simultaneous messages, "
            f"alternating between the two Rasa servers (lock store: `{r['lock_store']}`): "
            f"{r['messages']} messages, lost {r['lost']}, duplicated {r['duplicated']}, "
            f"interleaved {r['interleaved']}, non-200 answers {r['errors']}.",
            "",
            stock_line(r.get("stock")),
            "",
            "In-process, Rasa's stock `RedisLockStore` is also shown racing by "
            "`tests/integration/test_lock_store.py::"
            "test_stock_rasa_lock_store_lets_two_replicas_in` "
            "(two replicas inside the lock at once and updates lost, or a waiter whose ticket was "
            "overwritten polling forever; RasaHQ/rasa#9213); "
            "the same contention test passes with `bot.lock_store.AtomicRedisLockStore`.",
            "",
        ]
    out += [
        "## Faults injected",
        "",
        _row("fault", "what patients saw", "result"),
        _row("---", "---", "---"),
    ]
    out += [
        _row(f["fault"], f["observed"], "survived" if f["ok"] else "FAILED") for f in report.faults
    ]
    out += [
        "",
        "## Bad input (REST channel through nginx)",
        "",
        _row("input", "answer", "expected", "result"),
        _row("---", "---", "---", "---"),
    ]
    out += [
        _row(b["input"], b["status"], b["expected"], "ok" if b["ok"] else "FAILED")
        for b in report.bad_inputs
    ]
    if report.fuzz:
        f = report.fuzz
        out += [
            "",
            f"Fuzzing (hypothesis, {f['examples']} generated requests: random bytes, JSON of any "
            "shape, "
            f"odd strings in sender and message): answers {f['statuses']}; 5xx: "
            f"{f['server_errors']}; "
            f"server up afterwards: {f['up_after']}.",
            "",
        ]
    out += ["## Security and privacy", "", _row("check", "result"), _row("---", "---")]
    out += [_row(s["check"], s["result"]) for s in report.security]
    out += [
        "",
        "## Degraded behaviour (documented)",
        "",
        "- **Redis down**: no conversation can be locked, so no message is processed: the REST "
        "channel "
        'answers 503 with "the assistant is temporarily unavailable, please try again" '
        "(the widget shows the same text). Nothing is processed without mutual exclusion, so "
        "nothing "
        "is garbled; service resumes by itself when Redis is back.",
        '- **All action servers down**: patients get the "temporarily unavailable" reply (200) '
        "instead "
        "of silence; one action server down is invisible (nginx retries the other).",
        "- **PostgreSQL restart**: tracker reads and writes wait (up to `PNS_STORE_RETRY_S`, 30 "
        "s) and "
        "then go on; turns in flight finish late, none is lost.",
        "- **A Rasa replica dies**: nginx sends its traffic to the others; a lock the dead "
        "replica held "
        "expires after `PNS_LOCK_TTL_S` (10 s), so the turns of its conversations wait up to that "
        "long "
        "(the p95 of the replica-kill run above).",
        "",
        "## Known limits",
        "",
        "- PostgreSQL down for longer than `PNS_STORE_RETRY_S`: Rasa's built-in fail-safe then "
        "treats the "
        "conversation as new and keeps its events in that replica's memory only; those turns are "
        "not in "
        'PostgreSQL afterwards. Alert on the tracker store\'s "unreachable" warnings.',
        "- nginx retries a request whose server died mid-way (`non_idempotent`). If a Rasa "
        "replica dies in "
        "the milliseconds between saving a turn and answering, the retried turn is stored twice; "
        "if an "
        "action server dies after writing (feedback, referral request) the write can happen twice.",
        "- Rate limits are kept per replica: behind N replicas one sender gets up to N × the "
        "burst.",
        "",
    ]
    return "\n".join(out)


def write(report: Reliability, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "reliability.md").write_text(render(report), encoding="utf-8")
    (docs / "reliability.json").write_text(
        json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8"
    )
