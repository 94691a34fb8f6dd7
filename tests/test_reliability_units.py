"""Unit tests of the pieces the replicated deployment relies on (no servers started).

Rate limiting, text cleaning, log redaction, the retention job on a real (SQLite) Rasa
tracker store, the generated endpoints, the action server's secret check.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.action_server import secret_matches
from bot.channels.credentials import write_config
from bot.channels.limits import RequestError, check_message, clean_text
from bot.channels.rate_limit import Bucket, RateLimiter, take
from bot.channels.silence import silence_expected
from bot.log_redaction import install, redact_record
from bot.retention import DAY_S, cutoff, delete_old_conversations
from bot.tracker_store import UrlSQLTrackerStore
from kb.errors import ContentError
from kb.exchange import read_records

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- rate limit


def test_burst_passes_then_refused_until_refilled() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=3, per_minute=60, clock=lambda: now[0])
    assert [limiter.allow("a")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.allow("a")
    assert not allowed and 0 < wait <= 1.0
    assert limiter.allow("b")[0]  # other senders are not affected
    now[0] = 1.0
    assert limiter.allow("a")[0]


def test_bucket_never_exceeds_its_burst() -> None:
    allowed, bucket, _ = take(Bucket(0.0, 0.0), 3600.0, burst=5, per_minute=60)
    assert allowed and bucket.tokens == 4.0


# ---------------------------------------------------------------- text cleaning


def test_control_characters_become_spaces_and_lone_surrogates_are_refused() -> None:
    assert clean_text("what\x00 is\x1b[31m LEMS?\x7f\n") == "what  is [31m LEMS? \n"
    with pytest.raises(RequestError) as error:
        clean_text("hi \ud800")
    assert error.value.status == 400


def test_message_of_only_control_characters_is_400() -> None:
    with pytest.raises(RequestError):
        check_message({"sender": "a", "message": "\x00\x01"})


def test_metadata_strings_are_cleaned() -> None:
    message = check_message({"sender": "a", "message": "hi", "metadata": {"k\x00": ["v\x00"]}})
    assert message.metadata == {"k ": ["v "]}


# ---------------------------------------------------------------- log redaction


def test_log_records_are_redacted_before_any_handler_sees_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = logging.getLogRecordFactory()
    try:
        install()
        install()  # idempotent
        with caplog.at_level(logging.INFO, logger="pns.test"):
            logging.getLogger("pns.test").info(
                "patient %s wrote: call me on %s", "jane.doe@example.org", "+44 20 7946 0958"
            )
    finally:
        logging.setLogRecordFactory(previous)
    assert "jane.doe@example.org" not in caplog.text and "7946" not in caplog.text
    assert "[email]" in caplog.text and "[number]" in caplog.text


def test_redaction_leaves_records_without_contacts_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "turn %d done", (3,), None)
    assert redact_record(record).getMessage() == "turn 3 done" and record.args == (3,)


# ---------------------------------------------------------------- retention


def tracker_at(sender: str, when: float) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    for event in (
        ActionExecuted("action_listen"),
        UserUttered("what is LEMS?"),
        BotUttered("LEMS is…"),
        ActionExecuted("action_listen"),
    ):
        event.timestamp = when
        tracker.update(event)
    return tracker


def test_retention_deletes_whole_old_conversations_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = UrlSQLTrackerStore(host=url)
    now = time.time()

    async def fill() -> None:
        await store.save(tracker_at("old", now - 40 * DAY_S))
        await store.save(tracker_at("recent", now - 2 * DAY_S))

    asyncio.run(fill())
    report = delete_old_conversations(url, days=30, now=now)
    assert (report.conversations, report.events) == (1, 4)
    assert asyncio.run(store.retrieve("old")) is None
    assert len(asyncio.run(store.retrieve("recent")).events) == 4


def test_retention_period_must_be_positive() -> None:
    assert cutoff(100 * DAY_S, 30) == 70 * DAY_S
    with pytest.raises(ValueError):
        cutoff(0, 0)


# ---------------------------------------------------------------- configuration


def test_endpoints_use_in_memory_stores_unless_configured(tmp_path: Path) -> None:
    target = tmp_path / "endpoints.yml"
    base = {
        "PNS_ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        "PNS_ACTION_SECRET": "s3cret",
    }
    report = write_config(ROOT / "endpoints.yml", target, base)
    generated = yaml.safe_load(target.read_text())
    # the tracker store section is always there: in memory, but redacted and key-hashed
    assert set(generated) == {"action_endpoint", "tracker_store"}
    assert sorted(report.disabled) == ["lock_store"]
    assert generated["tracker_store"] == {
        "type": "bot.tracker_store.PrivateTrackerStore",
        "url": "",
    }
    assert generated["action_endpoint"]["headers"] == {"X-PNS-Action-Secret": "s3cret"}
    assert target.stat().st_mode & 0o077 == 0

    write_config(
        ROOT / "endpoints.yml",
        target,
        {
            **base,
            "PNS_TRACKER_STORE_URL": "postgresql://db/t",
            "PNS_LOCK_STORE_URL": "redis://127.0.0.1:6379/0",
        },
    )
    generated = yaml.safe_load(target.read_text())
    assert generated["tracker_store"] == {
        "type": "bot.tracker_store.PrivateTrackerStore",
        "url": "postgresql://db/t",
    }
    assert generated["lock_store"] == {
        "type": "bot.lock_store.AtomicRedisLockStore",
        "url": "redis://127.0.0.1:6379/0",
    }


def test_action_secret_comparison() -> None:
    assert secret_matches("abc", "abc")
    assert (
        not secret_matches(None, "abc")
        and not secret_matches("abd", "abc")
        and not secret_matches("", "abc")
    )


# ---------------------------------------------------------------- KB importer fuzz


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.binary(max_size=400)
    | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(["items.yml", "items.csv"]),
)
def test_kb_importer_reads_any_bytes_or_says_clearly_why_not(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    try:
        records = read_records(path)
    except ContentError as error:
        assert str(error)
    else:
        assert isinstance(records, list)


# ---------------------------------------------------------------- deliberate silence


def test_only_a_paused_conversation_is_meant_to_be_silent() -> None:
    from types import SimpleNamespace

    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ConversationPaused

    store = InMemoryTrackerStore(Domain.empty())
    paused = tracker_at("handed-over", time.time())
    paused.update(ConversationPaused())

    async def check() -> list[bool]:
        await store.save(paused)
        await store.save(tracker_at("talking", time.time()))
        agent = SimpleNamespace(tracker_store=store)  # what the channels read: agent.tracker_store
        return [
            await silence_expected(agent, "handed-over"),
            await silence_expected(agent, "talking"),
            await silence_expected(agent, "unknown"),
            await silence_expected(None, "talking"),
        ]

    assert asyncio.run(check()) == [True, False, False, False]
