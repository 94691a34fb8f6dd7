"""The replicated assistant (``make cluster``) under concurrency, load, faults and bad input.

One cluster for the whole module (:class:`bot.cluster.Cluster`: PostgreSQL, Redis, two
action servers, two Rasa servers, nginx; servers of one kind start in parallel). The
tests run in file order: checks that need the whole cluster first, then the faults, the
one that leaves a replica dead last. Every accepted message is remembered, and the last
test reads every conversation back from PostgreSQL and checks none was lost or garbled.
The run writes docs/reliability.md (:mod:`tests.integration.reliability_report`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg2
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from actions.language import LANGUAGES
from bench.load import LevelResult, run_level
from bot.action_server import SECRET_HEADER
from bot.channels.limits import clean_text
from bot.channels.texts import UNAVAILABLE as UNAVAILABLE_TEXTS
from bot.cluster import TRACKER_DATABASE, Cluster, ClusterPorts
from bot.settings import load_settings
from kb.privacy import conversation_key
from tests.integration.conversation_checks import check_conversation
from tests.integration.race import count_problems, send_race
from tests.integration.reliability_report import Reliability, write
from tests.integration.running import ROOT, Assistant

pytestmark = pytest.mark.integration

TOKEN = "cluster-test-token"
RATE_BURST = 12  # above one simulated conversation (9 messages), even if all reach one replica
SECRET = "cluster-test-action-secret"
REPORT = Reliability()
#: conversation id → texts the assistant accepted (200), and those answered "unavailable"
SENT: dict[str, list[str]] = defaultdict(list)
UNAVAILABLE: dict[str, set[str]] = defaultdict(set)
_sent_guard = threading.Lock()

#: The questions of these tests are English, so the unavailable reply is too.
UNAVAILABLE_REPLY = UNAVAILABLE_TEXTS["en"]


def remember(sender: str, text: str, replies: Any) -> None:
    """Record an accepted message (and whether the answer was "temporarily unavailable").

    Rasa stores a message's text stripped of surrounding whitespace (``UserMessage``).
    """
    text = text.strip()
    with _sent_guard:
        SENT[sender].append(text)
        if any(isinstance(r, dict) and r.get("text") in UNAVAILABLE_REPLIES for r in replies or []):
            UNAVAILABLE[sender].add(text)


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    state = Path(tempfile.mkdtemp(prefix="pns-cluster-"))
    state.chmod(0o755)  # PostgreSQL runs as its own user and must reach its directory
    environ = {**os.environ, "PNS_RASA_TOKEN": TOKEN, "PNS_ACTION_SECRET": SECRET}
    group = Cluster(load_settings(environ=environ), state, ClusterPorts.free(), durable=False)
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        # a smaller burst than the default 20, so the flood test stays short on 2 CPUs
        patch.setenv("PNS_RATE_BURST", str(RATE_BURST))
        group.start()
    REPORT.cluster = {
        "servers": (
            "2 Rasa servers, 2 action servers, nginx, PostgreSQL (KB + trackers), Redis (locks)"
        ),
        "lock store": "bot.lock_store.AtomicRedisLockStore",
        "tracker store": "bot.tracker_store.UrlSQLTrackerStore (PostgreSQL)",
        "start-up (parallel)": f"{time.monotonic() - started:.0f} s",
        "rate limit per sender and replica": f"burst {RATE_BURST}, 60/min",
        "cpus": os.cpu_count(),
    }
    failed_before = request.session.testsfailed
    yield group
    group.stop()
    write(REPORT, ROOT / "docs")
    if request.session.testsfailed > failed_before or os.environ.get("PNS_KEEP_CLUSTER"):
        print(f"\ncluster logs kept in {group.log_dir}")
    else:
        shutil.rmtree(state, ignore_errors=True)


def client(group: Cluster, port: int | None = None) -> Assistant:
    """HTTP helpers (tests/integration/running.py) for nginx or one Rasa server."""
    base = f"http://127.0.0.1:{port}" if port else group.url
    return Assistant(None, base, TOKEN, group.stores["PNS_TRACKER_STORE_URL"], group.log_dir)  # type: ignore[arg-type]


def say(http: Assistant, sender: str, text: str) -> tuple[int, Any]:
    status, replies = http.request("/webhooks/rest/webhook", {"sender": sender, "message": text})
    if status == 200:
        remember(sender, text, replies)
    return status, replies


def texts(replies: Any) -> str:
    return " ".join(r.get("text", "") for r in replies or [] if isinstance(r, dict))


#: "temporarily unavailable" in every language (the channel answers in the patient's).
UNAVAILABLE_REPLIES = frozenset(UNAVAILABLE_TEXTS[lang] for lang in LANGUAGES)


def unavailable_in(text: str) -> bool:
    return any(reply in text for reply in UNAVAILABLE_REPLIES)


# ------------------------------------------------------------------ load helper


def recording_sender(base: str, outcome: Counter) -> Callable[..., Any]:
    """bench.load's REST sender, remembering accepted messages and counting answer kinds."""

    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        try:
            return await post(http, sender, text)
        except Exception as error:  # counted by run_level as an error; named here for the report
            outcome[type(error).__name__] += 1
            raise

    async def post(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        async with http.post(
            f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as resp:
            body = await resp.json(content_type=None)
            outcome[resp.status] += 1
            if resp.status != 200 or not isinstance(body, list) or not body:
                return False
            remember(sender, text, body)
            if texts(body) in UNAVAILABLE_REPLIES:
                outcome["unavailable"] += 1
            return True

    return send


def load(group: Cluster, name: str, users: int, seconds: float, outcome: Counter) -> LevelResult:
    return asyncio.run(run_level(name, recording_sender(group.url, outcome), users, seconds))


class Background:
    """Load running in a thread while the test injects a fault."""

    def __init__(self, group: Cluster, name: str, users: int, seconds: float) -> None:
        self.outcome: Counter = Counter()
        self.result: LevelResult | None = None
        self.thread = threading.Thread(target=self._run, args=(group, name, users, seconds))
        self.thread.start()

    def _run(self, group: Cluster, name: str, users: int, seconds: float) -> None:
        self.result = load(group, name, users, seconds, self.outcome)

    def join(self) -> LevelResult:
        self.thread.join()
        assert self.result is not None
        return self.result


# ------------------------------------------------------------------ security


def test_rasa_http_api_needs_the_token(cluster: Cluster) -> None:
    http = client(cluster)
    checks = {
        "GET /status without token": http.request("/status")[0],
        "GET /status with a wrong token": http.request("/status?token=wrong")[0],
        "GET /conversations/x/tracker without token": http.request("/conversations/x/tracker")[0],
        "GET /status with the token": http.request(f"/status?token={TOKEN}")[0],
    }
    for check, status in checks.items():
        REPORT.security.append({"check": f"Rasa API: {check}", "result": status})
    assert checks["GET /status without token"] in (401, 403)
    assert checks["GET /status with a wrong token"] in (401, 403)
    assert checks["GET /conversations/x/tracker without token"] in (401, 403)
    assert checks["GET /status with the token"] == 200


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_action_server_needs_the_secret_and_listens_on_loopback_only(cluster: Cluster) -> None:
    import urllib.error
    import urllib.request

    port = cluster.ports.actions[0]

    def call(path: str, headers: dict[str, str], body: bytes | None = None) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", data=body, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    body = json.dumps({"next_action": "action_answer", "tracker": {}, "domain": {}}).encode()
    statuses = {
        "POST /webhook without secret": call(
            "/webhook", {"Content-Type": "application/json"}, body
        ),
        "POST /webhook with a wrong secret": call("/webhook", {SECRET_HEADER: "guess"}, body),
        "GET /actions without secret": call("/actions", {}),
        "GET /actions with the secret": call("/actions", {SECRET_HEADER: SECRET}),
        "GET /health (open, for the balancer)": call("/health", {}),
    }
    addresses = listening_addresses(port)
    for check, status in statuses.items():
        REPORT.security.append({"check": f"action server: {check}", "result": status})
    REPORT.security.append(
        {"check": "action server listens on", "result": ", ".join(sorted(addresses))}
    )
    assert statuses["POST /webhook without secret"] == 401
    assert statuses["POST /webhook with a wrong secret"] == 401
    assert statuses["GET /actions without secret"] == 401
    assert statuses["GET /actions with the secret"] == 200
    assert statuses["GET /health (open, for the balancer)"] == 200
    assert addresses == {"127.0.0.1"}


def test_generated_endpoints_hold_secrets_owner_only(cluster: Cluster) -> None:
    """Secrets come from the environment into a generated, owner-only file; none is committed."""
    generated = cluster.settings.endpoints_path
    mode = generated.stat().st_mode & 0o777
    committed = (ROOT / "endpoints.yml").read_text()
    REPORT.security.append({"check": "generated endpoints file mode", "result": oct(mode)})
    assert SECRET in generated.read_text()
    assert mode == 0o600
    assert SECRET not in committed and "${PNS_ACTION_SECRET}" in committed


# ------------------------------------------------------------------ concurrency


def test_concurrent_turns_of_one_conversation_on_two_replicas(cluster: Cluster) -> None:
    """Messages of one conversation sent at the same moment to both Rasa servers: each turn
    is stored once, whole, and not mixed with another (the lock store serialises them)."""
    conversations, rounds, per_round = 6, 3, 4
    replicas = [f"http://127.0.0.1:{p}" for p in cluster.ports.rasa]
    statuses = asyncio.run(send_race(replicas, conversations, rounds, per_round, remember))
    http = client(cluster)
    senders = [f"race-{c}" for c in range(conversations)]
    problems = count_problems({s: http.tracker(s)["events"] for s in senders}, SENT, UNAVAILABLE)
    REPORT.race = {
        "conversations": conversations,
        "rounds": rounds,
        "per_round": per_round,
        "messages": conversations * rounds * per_round,
        "lock_store": "bot.lock_store.AtomicRedisLockStore",
        "lost": problems["lost"],
        "duplicated": problems["duplicated"],
        "interleaved": problems["interleaved"],
        "errors": sum(v for k, v in statuses.items() if k != 200),
    }
    stock = ROOT / "docs" / "reliability-stock-lock.json"
    if stock.exists():  # written by `make race-stock` (a cluster of its own; not part of make test)
        REPORT.race["stock"] = json.loads(stock.read_text())
    assert statuses == Counter({200: conversations * rounds * per_round})
    assert problems["lost"] == problems["duplicated"] == problems["interleaved"] == 0


# ------------------------------------------------------------------ load


def test_load_is_held_across_replicas(cluster: Cluster) -> None:
    outcome: Counter = Counter()
    result = load(cluster, "load", users=6, seconds=20, outcome=outcome)
    REPORT.load = {
        "replicas": 2,
        **result.summary(),
        "duration_s": round(result.duration_s, 1),
        "unavailable": outcome["unavailable"],
    }
    assert result.errors == 0 and outcome["unavailable"] == 0
    assert result.conversations >= 1


# ------------------------------------------------------------------ bad input

PAYLOADS = (
    "'; DROP TABLE events; --",
    "Robert'); DELETE FROM answers WHERE 1=1; --",
    "<script>alert('pns')</script>",
    '<img src=x onerror="alert(1)"> what is LEMS?',
    "{{7*7}} ${jndi:ldap://example.org/a} %s%s%n",
    "🧠💊😱 what is LEMS? 🙏🏽",
    "\u202eSMEL si tahw",
    "what is LEMS?\x00\x01\x1b[31m\x7f",
)


def bad_inputs() -> list[tuple[str, bytes, set[int]]]:
    """(label, request body, acceptable statuses) for the named bad inputs of the issue."""

    def body(message: Any, sender: Any = "bad-input") -> bytes:
        return json.dumps({"sender": sender, "message": message}).encode()

    cases = [
        ("empty message", body(""), {400}),
        ("whitespace message", body(" \n\t "), {400}),
        ("only control characters", body("\x00\x01\x02"), {400}),
        ("1 MB message", body("a" * 1_000_000), {413}),
        ("2001 characters", body("b" * 2001), {413}),
        ("invalid UTF-8", b'{"sender": "bad-input", "message": "\xff\xfe\xc3("}', {400}),
        ("lone surrogate in JSON", b'{"sender": "bad-input", "message": "\\ud800 hi"}', {400}),
        ("malformed JSON", b'{"sender": "bad-input", "message": ', {400}),
        ("JSON list", b'["hello"]', {400}),
        ("JSON string", b'"hello"', {400}),
        ("empty body", b"", {400}),
        ("sender missing", json.dumps({"message": "hello"}).encode(), {400}),
        ("sender with slash and spaces", body("hello", "../../etc passwd"), {400}),
        ("message is a number", body(42), {400}),
        (
            "metadata not an object",
            json.dumps({"sender": "bad-input", "message": "hi", "metadata": [1]}).encode(),
            {400},
        ),
    ]
    cases += [
        (f"payload {p!r}", body(p, f"bad-payload-{i}"), {200}) for i, p in enumerate(PAYLOADS)
    ]
    return cases


def test_bad_inputs_get_a_clear_4xx_or_a_safe_reply(cluster: Cluster) -> None:
    http = client(cluster)
    failures = []
    for label, raw, expected in bad_inputs():
        status, answer = http.post_raw("/webhooks/rest/webhook", raw)
        ok = status in expected
        if status == 200:
            reply = texts(answer)
            ok = ok and bool(reply) and "<script" not in reply and "onerror" not in reply
            data = json.loads(raw)
            remember(data["sender"], clean_text(data["message"]), answer)
        elif status in (400, 413):
            ok = ok and isinstance(answer, dict) and bool(answer.get("error"))
        REPORT.bad_inputs.append(
            {
                "input": label,
                "status": status,
                "expected": "/".join(map(str, sorted(expected))),
                "ok": ok,
            }
        )
        if not ok:
            failures.append((label, status, answer))
    assert failures == []
    assert cluster.failed() is None and cluster.healthy()


def test_flood_from_one_sender_is_rate_limited_without_hurting_others(cluster: Cluster) -> None:
    statuses: Counter = Counter()
    other: list[int] = []

    async def flood() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as http:

            async def one(i: int) -> None:
                async with http.post(
                    f"{cluster.url}/webhooks/rest/webhook",
                    json={"sender": "flooder", "message": f"hello {i}"},
                ) as resp:
                    statuses[resp.status] += 1

            async def bystander() -> None:
                await asyncio.sleep(0.5)
                async with http.post(
                    f"{cluster.url}/webhooks/rest/webhook",
                    json={"sender": "bystander", "message": "what is LEMS?"},
                ) as resp:
                    other.append(resp.status)

            await asyncio.gather(*(one(i) for i in range(80)), bystander())

    asyncio.run(flood())
    REPORT.bad_inputs.append(
        {
            "input": "flood: 80 simultaneous messages from one sender",
            "status": dict(statuses),
            "expected": "200 up to the burst, then 429",
            "ok": True,
        }
    )
    assert statuses[429] > 0
    assert set(statuses) <= {200, 429}
    assert other == [200]
    assert cluster.failed() is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
SENDERS = st.from_regex(r"fz[a-z0-9]{8}", fullmatch=True) | st.text(max_size=20) | JSON_VALUES
MESSAGES = st.text(max_size=400) | st.sampled_from(PAYLOADS) | JSON_VALUES
VALID = st.builds(
    lambda s, m: json.dumps({"sender": s, "message": m}).encode(),
    st.from_regex(r"fz[a-z0-9]{8}", fullmatch=True),
    st.text(min_size=1, max_size=300) | st.sampled_from(PAYLOADS),
)
BODIES = (
    VALID
    | VALID
    | st.binary(max_size=300)
    | st.builds(lambda s, m: json.dumps({"sender": s, "message": m}).encode(), SENDERS, MESSAGES)
    | st.builds(
        lambda s, m, md: json.dumps({"sender": s, "message": m, "metadata": md}).encode(),
        SENDERS,
        MESSAGES,
        JSON_VALUES,
    )
    | JSON_VALUES.map(lambda v: json.dumps(v).encode())
)


def test_fuzzed_requests_never_get_a_5xx(cluster: Cluster) -> None:
    http = client(cluster)
    statuses: Counter = Counter()

    @hypothesis_settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(BODIES)
    def post(raw: bytes) -> None:
        status, answer = http.post_raw("/webhooks/rest/webhook", raw)
        statuses[status] += 1
        assert status in (200, 400, 413, 429), (raw[:200], status, answer)
        if status == 200:  # (hypothesis reuses senders and texts: not part of the integrity count)
            assert isinstance(answer, list) and texts(answer)

    post()
    REPORT.fuzz = {
        "examples": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "up_after": cluster.failed() is None and cluster.healthy(),
    }
    assert REPORT.fuzz["up_after"]


# ------------------------------------------------------------------ faults


def fault(name: str, observed: str, ok: bool) -> None:
    REPORT.faults.append({"fault": name, "observed": observed, "ok": ok})


def describe(result: LevelResult, outcome: Counter) -> str:
    summary = result.summary()
    answers = {str(k): v for k, v in outcome.items() if k != "unavailable"}
    return (
        f"{summary['messages']} messages under load ({summary['messages_per_s']}/s, "
        f"p95 {summary['p95_ms']} ms): errors {result.errors}, "
        f"'temporarily unavailable' {outcome['unavailable']}; answers {answers}"
    )


def wait_for_answers(http: Assistant, sender: str, timeout: float = 60.0) -> float | None:
    """Seconds until ``sender`` gets a normal answer again (nginx retries a failed server
    after its ``fail_timeout``); None if it does not within ``timeout``."""
    started = time.monotonic()
    questions = ["how is it treated?", "what does anti-Yo mean?", "what is LEMS?"]
    attempt = 0
    while time.monotonic() - started < timeout:
        status, replies = say(http, sender, f"{questions[attempt % 3]} ({attempt})")
        if status == 200 and texts(replies) and not unavailable_in(texts(replies)):
            return time.monotonic() - started
        attempt += 1
        time.sleep(1)
    return None


def test_an_action_server_killed_under_load_is_not_noticed(cluster: Cluster) -> None:
    background = Background(cluster, "action-kill", users=4, seconds=15)
    time.sleep(4)
    cluster.action_servers[0].kill()
    time.sleep(5)
    cluster.restart(cluster.action_servers[0])
    result = background.join()
    ok = result.errors == 0 and background.outcome["unavailable"] == 0
    fault(
        "one action server SIGKILLed under load, restarted 5 s later",
        describe(result, background.outcome),
        ok,
    )
    assert ok


def test_all_action_servers_down_gives_a_short_unavailable_reply_then_recovers(
    cluster: Cluster,
) -> None:
    http = client(cluster)
    for server in cluster.action_servers:
        server.kill()
    status, replies = say(http, "no-actions", "what is LEMS?")
    down_reply = texts(replies)
    for server in cluster.action_servers:
        server.stop()
    cluster.start_services(list(cluster.action_servers))
    recovery = wait_for_answers(http, "no-actions")
    ok = status == 200 and down_reply in UNAVAILABLE_REPLIES and recovery is not None
    fault(
        "all action servers SIGKILLed, then restarted",
        f"while down: {status} {down_reply[:60]!r}…; "
        f"normal answers again {recovery:.1f} s after the restart"
        if recovery is not None
        else f"while down: {status} {down_reply[:60]!r}…; NO recovery",
        ok,
    )
    assert ok


def test_postgres_restart_under_load_loses_no_conversation(cluster: Cluster) -> None:
    background = Background(cluster, "pg-restart", users=4, seconds=15)
    time.sleep(5)
    started = time.monotonic()
    cluster.restart(cluster.postgres_service)
    outage = time.monotonic() - started
    result = background.join()
    http = client(cluster)
    status, replies = say(http, "after-pg", "what is LEMS?")
    ok = result.errors == 0 and status == 200 and not unavailable_in(texts(replies))
    fault(
        f"PostgreSQL restarted under load (down {outage:.1f} s)",
        describe(result, background.outcome) + "; answers normal afterwards",
        ok,
    )
    assert ok


def test_redis_down_refuses_clearly_and_recovers(cluster: Cluster) -> None:
    http = client(cluster)
    cluster.redis_service.kill()
    status, answer = http.post_raw(
        "/webhooks/rest/webhook",
        json.dumps({"sender": "no-redis", "message": "what is LEMS?"}).encode(),
    )
    still_up = all(server.running() for server in [*cluster.rasa_servers, cluster.nginx_service])
    cluster.restart(cluster.redis_service)
    recovery = wait_for_answers(http, "no-redis")
    error = answer.get("error") if isinstance(answer, dict) else answer
    ok = status == 503 and error in UNAVAILABLE_REPLIES and still_up and recovery is not None
    fault(
        "Redis (lock store) SIGKILLed, restarted",
        f"while down: {status} {str(error)[:60]!r}… (nothing processed without the lock); "
        f"replicas up: {still_up}; "
        + (
            f"normal answers {recovery:.1f} s after the restart"
            if recovery is not None
            else "NO recovery"
        ),
        ok,
    )
    assert ok


def test_retention_deletes_only_conversations_older_than_the_period(cluster: Cluster) -> None:
    http = client(cluster)
    for sender in ("retention-old", "retention-new"):
        assert (
            http.request("/webhooks/rest/webhook", {"sender": sender, "message": "what is LEMS?"})[
                0
            ]
            == 200
        )
    url = cluster.stores["PNS_TRACKER_STORE_URL"]
    connection = psycopg2.connect(
        host="127.0.0.1", port=cluster.ports.postgres, user="postgres", dbname=TRACKER_DATABASE
    )
    with connection, connection.cursor() as cursor:
        # stored under the keyed hash of the conversation id (bot/tracker_store.py)
        cursor.execute(
            "UPDATE events SET timestamp = timestamp - 31 * 86400 WHERE sender_id = %s",
            (conversation_key("retention-old"),),
        )
    connection.close()
    env = {
        **os.environ,
        "PNS_TRACKER_STORE_URL": url,
        "PNS_RETENTION_DAYS": "30",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "retention"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    old_users = [e for e in http.tracker("retention-old")["events"] if e["event"] == "user"]
    new_users = [e for e in http.tracker("retention-new")["events"] if e["event"] == "user"]
    REPORT.security.append(
        {
            "check": "retention job (30 days): 31-day-old conversation / fresh conversation",
            "result": f"{'deleted' if not old_users else 'KEPT'} / "
            f"{'kept' if new_users else 'DELETED'}",
        }
    )
    assert old_users == [] and len(new_users) == 1


def test_a_rasa_replica_killed_under_load_the_other_continues_its_conversations(
    cluster: Cluster,
) -> None:
    http = client(cluster)
    ongoing = [f"handover-{i}" for i in range(6)]
    for sender in ongoing:
        assert say(http, sender, "hello")[0] == 200
    background = Background(cluster, "rasa-kill", users=4, seconds=15)
    time.sleep(4)
    cluster.rasa_servers[0].kill()
    answers = [say(http, sender, "what is LEMS?") for sender in ongoing]
    result = background.join()
    ok = result.errors == 0 and all(
        status == 200 and not unavailable_in(texts(r)) for status, r in answers
    )
    fault(
        "a Rasa server SIGKILLed under load (not restarted)",
        describe(result, background.outcome)
        + f"; {len(ongoing)} ongoing conversations continued on the other",
        ok,
    )
    assert ok


# ------------------------------------------------------------------ integrity


def test_no_conversation_was_lost_or_garbled(cluster: Cluster) -> None:
    """Every accepted message of this run, read back from PostgreSQL: once, whole, answered."""
    http = client(cluster)
    totals: Counter = Counter()
    broken = {}
    for sender, sent in sorted(SENT.items()):
        check = check_conversation(http.tracker(sender)["events"], sent, UNAVAILABLE[sender])
        totals.update(
            conversations=1,
            user_messages=len(sent),
            lost=len(check.lost),
            duplicated=len(check.duplicated),
            interleaved=len(check.interleaved),
        )
        if not check.ok:
            broken[sender] = check
    REPORT.integrity = {
        key: totals[key]
        for key in ("conversations", "user_messages", "lost", "duplicated", "interleaved")
    }
    assert totals["conversations"] > 50
    assert broken == {}
