"""Privacy in the real stores: the tracker store (in memory, SQLite, PostgreSQL) and the KB.

- stored events hold none of the identifiers a patient typed (fuzzed with hypothesis), and
  the conversation is stored under its keyed hash, never the channel's id;
- after erasure (in the chat, or by staff with ``python -m bot privacy erase``) no row of the
  conversation remains in any store, and other conversations are untouched;
- retention removes the old rows of every table that holds patient text.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import privacy as staff
from bot.retention import delete_old_conversations, delete_old_kb_rows
from bot.tracker_store import (
    PrivateInMemoryTrackerStore,
    PrivateTrackerStore,
    UrlSQLTrackerStore,
    redact_event,
)
from kb.db import engine_for, session_scope
from kb.feedback import record_feedback, record_unanswered
from kb.models import Consent, Feedback, UnansweredQuestion
from kb.privacy import conversation_key, record_consent
from kb.staff import AuditEvent
from tests.conftest import Databases

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-privacy-key"
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PNS_PRIVACY_KEY", KEY)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None: the in-memory store; else a fresh database for the SQL store."""
    if request.param == "memory":
        yield None
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    else:
        server = request.getfixturevalue("postgres")
        name = f"tracker_{abs(hash(request.node.nodeid)) % 10**8}"
        server.drop_database(name)
        url = server.create_database(name)
        yield url
        engine_for(url).dispose()
        server.drop_database(name)


def make_store(url: str | None) -> Any:
    return PrivateTrackerStore(DOMAIN, host=url)


def conversation(sender: str, text: str, entities: list[dict[str, Any]] | None = None) -> Any:
    user = UserUttered(
        text,
        intent={"name": "inform_condition", "confidence": 0.9},
        entities=entities or [],
        parse_data={
            "text": text,
            "intent": {"name": "inform_condition", "confidence": 0.9},
            "entities": entities or [],
        },
        input_channel="rest",
        metadata={"lang": "en", "note": text},
    )
    return DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), user, BotUttered("ok"), ActionExecuted("action_listen")],
        DOMAIN.slots,
    )


def stored_rows(store: Any, url: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(stored conversation key, event) for every event the store holds, read raw."""
    if url is None:
        return [
            (key, event)
            for key, dialogue in store.store.items()
            for event in json.loads(dialogue)["events"]
        ]
    with engine_for(url).connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, data FROM events ORDER BY id"))
        return [(sender, json.loads(data)) for sender, data in rows]


def patient_strings(event: dict[str, Any]) -> list[str]:
    """Every string of a stored user event that came from the patient."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    if event.get("event") == "user":
        walk([event.get("text"), event.get("metadata"), event.get("parse_data", {}).get("text")])
        walk([e.get("value") for e in event.get("parse_data", {}).get("entities", [])])
    return found


TEXT = (
    "my name is Anna Petrova, mail anna.p@example.ru, phone +7 (916) 123-45-67, "
    "SNILS 123-456-789 01, OMS 1234 5678 9012 3456, passport 45 06 123456, born 12.03.1985; "
    "my mum has ovarian cancer"
)
IDENTIFIERS = [
    "Anna",
    "Petrova",
    "anna.p@example.ru",
    "123-45-67",
    "123-456-789 01",
    "1234 5678 9012 3456",
    "45 06 123456",
    "12.03.1985",
]


async def test_stored_events_are_redacted_and_keyed(store_url: str | None) -> None:
    store = make_store(store_url)
    start = TEXT.index("ovarian cancer")
    entity = {"entity": "cancer", "value": "ovarian", "start": start, "end": start + 14}
    await store.save(conversation("telegram-123456789", TEXT, [entity]))
    rows = stored_rows(store, store_url)
    assert rows and {key for key, _ in rows} == {conversation_key("telegram-123456789")}
    texts = [s for _, event in rows for s in patient_strings(event)]
    assert texts, "the user message must be stored (redacted)"
    for identifier in IDENTIFIERS:
        assert not any(identifier in s for s in texts), identifier
    assert "telegram-123456789" not in json.dumps([e for _, e in rows])
    # found again by the channel's id, with the entity moved onto the redacted text
    tracker = await store.retrieve("telegram-123456789")
    assert tracker is not None and tracker.sender_id == "telegram-123456789"
    message = tracker.latest_message
    assert message.text.startswith("my name is [name], mail [email], phone [number]")
    assert message.text.endswith("my mum has ovarian cancer")
    [stored_entity] = message.parse_data["entities"]
    assert message.text[stored_entity["start"] : stored_entity["end"]] == "ovarian cancer"
    assert await store.retrieve("someone-else") is None


async def test_incremental_saves_append_only_new_events(store_url: str | None) -> None:
    store = make_store(store_url)
    tracker = conversation("c1", "what is LEMS?")
    await store.save(tracker)
    tracker.update(UserUttered("call me at 8 916 123 45 67", intent={"name": "greet"}))
    tracker.update(SlotSet("cancer_history", True))
    await store.save(tracker)
    rows = stored_rows(store, store_url)
    users = [e for _, e in rows if e["event"] == "user"]
    assert [u["text"] for u in users] == ["what is LEMS?", "call me at [number]"]
    again = await store.retrieve("c1")
    assert again.get_slot("cancer_history") is True and len(again.events) == len(tracker.events)


@pytest.mark.parametrize("action", ["action_erase_conversation", "action_withdraw_consent"])
async def test_an_erasing_turn_leaves_no_row_of_the_conversation(
    store_url: str | None, action: str
) -> None:
    store = make_store(store_url)
    await store.save(conversation("keep-me", "what is PNS?"))
    tracker = conversation("erase-me", TEXT)
    await store.save(tracker)
    text = "/request_erasure" if action == "action_erase_conversation" else "withdraw consent"
    tracker.update(UserUttered(text, intent={"name": "request_erasure"}))
    tracker.update(ActionExecuted(action))
    tracker.update(BotUttered("Done"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    keys = {key for key, _ in stored_rows(store, store_url)}
    assert keys == {conversation_key("keep-me")}
    assert await store.retrieve("erase-me") is None
    assert await store.retrieve("keep-me") is not None


async def test_a_typed_erasure_request_only_asks_and_keeps_the_conversation(
    store_url: str | None,
) -> None:
    store = make_store(store_url)
    tracker = conversation("ask-me", TEXT)
    await store.save(tracker)
    tracker.update(UserUttered("delete my conversation", intent={"name": "request_erasure"}))
    tracker.update(ActionExecuted("action_erase_conversation"))
    tracker.update(BotUttered("Do you want me to delete this whole conversation?"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    assert await store.retrieve("ask-me") is not None


def test_the_endpoint_type_picks_the_store() -> None:
    assert isinstance(PrivateTrackerStore(DOMAIN, host=""), PrivateInMemoryTrackerStore)
    assert isinstance(PrivateTrackerStore(DOMAIN, host="sqlite://"), UrlSQLTrackerStore)


# ------------------------------------------------------------------ fuzzing the identifiers

_names = st.from_regex(r"[A-Z][a-z]{2,9}|[А-Я][а-я]{2,9}", fullmatch=True)
_digits = st.integers(min_value=0, max_value=9).map(str)


def _number(groups: list[int], seps: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    parts = [st.text(alphabet="0123456789", min_size=n, max_size=n) for n in groups]
    return st.tuples(*parts, seps).map(lambda t: t[-1].join(t[:-1]))


_phones = st.one_of(
    st.tuples(
        st.sampled_from(["+7", "8", "+7 ", "8 "]),
        st.text(alphabet="0123456789", min_size=3, max_size=3),
        st.text(alphabet="0123456789", min_size=3, max_size=3),
        st.text(alphabet="0123456789", min_size=2, max_size=2),
        st.text(alphabet="0123456789", min_size=2, max_size=2),
        st.sampled_from(["({}) {}-{}-{}", "{} {} {} {}", "{}{}{}{}", "-{}-{}-{}-{}"]),
    ).map(lambda t: t[0] + t[5].format(*t[1:5])),
)
_identifiers = st.one_of(
    st.tuples(
        st.sampled_from(["my name is", "My name is", "меня зовут", "Меня зовут"]), _names
    ).map(lambda t: (f"{t[0]} {t[1]}", t[1])),
    st.tuples(_names, _names).map(lambda t: (f"я — {t[0]} {t[1]}", f"{t[0]} {t[1]}")),
    st.from_regex(r"[a-z][a-z0-9._]{0,10}@[a-z]{2,8}\.(ru|com|org)", fullmatch=True).map(
        lambda e: (e, e)
    ),
    _phones.map(lambda p: (p, p.strip())),
    _number([3, 3, 3, 2], st.sampled_from(["-", " "])).map(
        lambda s: (s[:11] + " " + s[12:], s[:11] + " " + s[12:])
    ),
    _number([4, 4, 4, 4], st.sampled_from(["", " ", "-"])).map(lambda s: (s, s)),
    _number([2, 2, 6], st.sampled_from([" "])).map(lambda s: (s, s)),
    st.tuples(
        st.integers(1, 28), st.integers(1, 12), st.integers(1930, 2024), st.sampled_from(".-/")
    ).map(lambda t: (f"{t[0]:02d}{t[3]}{t[1]:02d}{t[3]}{t[2]}",) * 2),
)
_templates = st.sampled_from(
    [
        "{} and my dad has lung cancer",
        "hello, {}. What does anti-Yo mean?",
        "У мамы рак яичников, {}",
        "{}",
        "numbness in the feet ({})",
    ]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(st.tuples(_templates, _identifiers), min_size=1, max_size=3))
def test_fuzzed_identifiers_never_reach_the_stored_events(tmp_path: Path, items) -> None:
    text = " ".join(template.format(typed) for template, (typed, _) in items)
    for url in (None, f"sqlite:///{tmp_path / f'fuzz-{time.monotonic_ns()}.sqlite3'}"):
        store = make_store(url)
        asyncio.run(store.save(conversation("fuzz", text)))
        texts = [s for _, event in stored_rows(store, url) for s in patient_strings(event)]
        assert texts
        for _, (_, secret) in items:
            assert not any(secret in s for s in texts), (secret, texts)
        if url:
            engine_for(url).dispose()


def test_redacting_an_event_leaves_other_events_alone() -> None:
    bot = {"event": "bot", "text": "Call 112, or +7 495 000-00-00"}
    assert redact_event(bot) is bot
    user = {"event": "user", "text": "born 01.02.1990", "parse_data": {"text": "born 01.02.1990"}}
    assert redact_event(user)["parse_data"]["text"] == "born [date]"
    assert user["text"] == "born 01.02.1990"  # the live event (this turn's) is not changed


# ------------------------------------------------------------------ KB tables, staff commands


def add_kb_rows(url: str, sender: str, created: datetime | None = None) -> None:
    key = conversation_key(sender)
    with session_scope(url) as session:
        feedback = record_feedback(session, "ask_tests", [1], [], False, conversation_key=key)
        question = record_unanswered(
            session, "what is zic4? my email is a@b.ru", "no_answer", conversation_key=key
        )
        consent = record_consent(session, key, "given", "1", now=created)
        if created is not None:
            feedback.created_at = question.created_at = created
            consent.updated_at = created


def kb_rows(url: str, sender: str) -> dict[str, int]:
    key = conversation_key(sender)
    with session_scope(url) as session:
        return {
            model.__tablename__: session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.conversation_key == key)
            )
            for model in (Feedback, UnansweredQuestion, Consent)
        }


@pytest.fixture()
def staff_env(
    monkeypatch: pytest.MonkeyPatch, fresh_kb_url: str, databases: Databases
) -> Iterator[tuple[str, str]]:
    """A KB and a SQL tracker store on the same backend, as the staff command finds them."""
    tracker_url = databases.blank()
    monkeypatch.setenv("PNS_DATABASE_URL", fresh_kb_url)
    monkeypatch.setenv("PNS_TRACKER_STORE_URL", tracker_url)
    yield fresh_kb_url, tracker_url
    databases.drop(tracker_url)


def test_staff_export_and_erase_with_audit(
    staff_env: tuple[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kb_url, tracker_url = staff_env
    store = UrlSQLTrackerStore(DOMAIN, host=tracker_url)
    asyncio.run(store.save(conversation("sar-1", TEXT)))
    asyncio.run(store.save(conversation("other", "what is PNS?")))
    add_kb_rows(kb_url, "sar-1")
    add_kb_rows(kb_url, "other")

    out = tmp_path / "export.json"
    assert staff.main(["export", "sar-1", "--user", "alice", "-o", str(out)]) == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["conversation_key"] == conversation_key("sar-1")
    [user] = [e for e in exported["tracker_events"] if e["event"] == "user"]
    assert user["text"].startswith("my name is [name], mail [email]")
    assert exported["consent"]["status"] == "given"
    assert len(exported["feedback"]) == 1 and len(exported["unanswered_questions"]) == 1
    assert exported["unanswered_questions"][0]["text"] == "what is zic4? my email is [email]"

    assert staff.main(["erase", "sar-1", "--user", "alice"]) == 0
    assert "erased" in capsys.readouterr().out
    assert kb_rows(kb_url, "sar-1") == {"feedback": 0, "unanswered_question": 0, "consent": 1}
    assert kb_rows(kb_url, "other") == {"feedback": 1, "unanswered_question": 1, "consent": 1}
    with engine_for(tracker_url).connect() as connection:
        senders = {r[0] for r in connection.execute(sa.text("SELECT sender_id FROM events"))}
    assert senders == {conversation_key("other")}
    with session_scope(kb_url) as session:
        consent = session.scalar(
            sa.select(Consent).where(Consent.conversation_key == conversation_key("sar-1"))
        )
        assert consent.status == "erased" and consent.given_at is None
        audit = session.execute(
            sa.select(AuditEvent.username, AuditEvent.action, AuditEvent.item_ref)
            .where(AuditEvent.action.like("privacy_%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [(u, a) for u, a, _ in audit] == [
        ("alice", "privacy_export"),
        ("alice", "privacy_erase"),
    ]
    assert all(ref == f"conversation:{conversation_key('sar-1')}" for _, _, ref in audit)


def test_staff_commands_need_a_name(staff_env: tuple[str, str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        staff.main(["erase", "sar-1"])
    assert exit_.value.code == 2


def test_retention_removes_old_rows_of_every_table(fresh_kb_url: str, databases: Databases) -> None:
    now = time.time()
    old = datetime.now(UTC) - timedelta(days=31)
    add_kb_rows(fresh_kb_url, "old", created=old)
    add_kb_rows(fresh_kb_url, "new")
    add_kb_rows(fresh_kb_url, "erased-long-ago", created=old)
    with session_scope(fresh_kb_url) as session:
        from kb.privacy import erase_conversation

        erase_conversation(session, conversation_key("erased-long-ago"), now=old)
    tracker_url = databases.blank()
    try:
        store = UrlSQLTrackerStore(DOMAIN, host=tracker_url)
        asyncio.run(store.save(conversation("old", "what is PNS?")))
        asyncio.run(store.save(conversation("new", "what is PNS?")))
        with engine_for(tracker_url).begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE events SET timestamp = timestamp - 31 * 86400 WHERE sender_id = :k"
                ),
                {"k": conversation_key("old")},
            )
        report = delete_old_conversations(tracker_url, 30, now=now)
        assert report.conversations == 1
        with engine_for(tracker_url).connect() as connection:
            senders = {r[0] for r in connection.execute(sa.text("SELECT sender_id FROM events"))}
        assert senders == {conversation_key("new")}
    finally:
        databases.drop(tracker_url)

    kb_report = delete_old_kb_rows(fresh_kb_url, 30, now=now)
    assert (kb_report.feedback, kb_report.unanswered, kb_report.consent) == (1, 1, 1)
    assert kb_rows(fresh_kb_url, "old") == {"feedback": 0, "unanswered_question": 0, "consent": 0}
    assert kb_rows(fresh_kb_url, "new") == {"feedback": 1, "unanswered_question": 1, "consent": 1}
    # the fact of an erasure is kept longer (proof the request was honoured), then goes too
    assert kb_rows(fresh_kb_url, "erased-long-ago")["consent"] == 1
    delete_old_kb_rows(fresh_kb_url, 30, erasure_record_days=30, now=now)
    assert kb_rows(fresh_kb_url, "erased-long-ago")["consent"] == 0
