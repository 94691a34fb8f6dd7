"""Consent before the referral assessment, its record, withdrawal and the notice (real KB)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.conversation import ActionSessionStart
from actions.privacy import (
    ActionAskPrivacyConsent,
    ActionEraseConversation,
    ActionWithdrawConsent,
    consent_answer,
)
from actions.referral_form import ActionReferralAdvice, ValidateReferralForm
from actions.understanding import NO, YES
from kb.db import session_scope
from kb.feedback import record_feedback, record_unanswered
from kb.models import Consent, Feedback, Setting, UnansweredQuestion
from kb.privacy import conversation_key
from tests.test_actions import use_kb  # noqa: F401  (fixture)

KEY = "test-privacy-key"
SENDER = "patient-42"
FACT_SLOTS = ("cancer_history", "neuro_symptoms", "antibodies_positive")
PERSONAL_QUESTIONS = FACT_SLOTS
BUTTONS = {
    "en": [("I agree", "/affirm"), ("No, thanks", "/deny")],
    "ru": [("Согласен(на)", "/affirm"), ("Нет, спасибо", "/deny")],
}
#: The project's domain (responses the actions render themselves, e.g. the disclosure).
REAL_DOMAIN: dict[str, Any] = Domain.load("domain.yml").as_dict()
DOMAIN: dict[str, Any] = {
    "responses": {
        "utter_ask_privacy_consent": [
            {
                "condition": [{"type": "slot", "name": "language", "value": lang}],
                "text": f"fallback {lang}",
                "buttons": [{"title": t, "payload": p} for t, p in buttons],
            }
            for lang, buttons in BUTTONS.items()
        ],
        **{
            name: [
                {"condition": [{"type": "slot", "name": "language", "value": "en"}], "text": name},
                {
                    "condition": [{"type": "slot", "name": "language", "value": "ru"}],
                    "text": name + " ru",
                },
            ]
            for name in (
                "utter_consent_withdrawn",
                "utter_conversation_erased",
                "utter_confirm_erasure",
            )
        },
    }
}


FORM_DOMAIN: dict[str, Any] = {
    "forms": {"referral_form": {"required_slots": ["privacy_consent", *FACT_SLOTS]}},
    "slots": {},
}


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PNS_PRIVACY_KEY", KEY)


def make_tracker(
    intent: str,
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    channel: str = "rest",
) -> Tracker:
    latest = {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
    }
    return Tracker(
        sender_id=SENDER,
        # an English conversation unless the test sets the language slot
        slots={"requested_slot": None, "language": "en", **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
        events=[*(events or []), latest],
        paused=False,
        followup_action=None,
        active_loop={"name": "referral_form"},
        latest_action_name="action_listen",
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def run_form(t: Tracker) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ValidateReferralForm().run(dispatcher, t, FORM_DOMAIN)
    return slot_events(events), dispatcher


def consent_row(url: str) -> Consent | None:
    with session_scope(url) as session:
        row = session.execute(
            select(Consent).where(Consent.conversation_key == conversation_key(SENDER))
        ).scalar()
        if row is not None:
            session.expunge(row)
        return row


REPORT = "my mum has ovarian cancer and now she walks like she's drunk"
REPORT_ENTITIES = [
    {"entity": "cancer", "value": "ovarian", "start": 11, "end": 25},
    {"entity": "symptom", "value": "unsteady_walking", "start": 38, "end": 60},
]


async def test_a_report_waits_for_consent_and_keeps_no_fact(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    slots, dispatcher = await run_form(make_tracker("inform_condition", REPORT, REPORT_ENTITIES))
    assert slots["requested_slot"] == "privacy_consent"
    assert not set(FACT_SLOTS + ("reported_conditions",)) & set(slots)
    assert dispatcher.messages == []  # the question itself is action_ask_privacy_consent


# What the form may do before consent, whatever the message and the facts already known:
# ask for consent, or end (declined / stopped / emergency) — never a personal question.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    intent=st.sampled_from(
        ["inform_condition", "ask_should_see_doctor", "affirm", "deny", "nlu_fallback", "ask_tests"]
    ),
    text=st.sampled_from(
        ["yes", "no", "I don't know", "she has lung cancer", "numbness", "anti-Hu positive", "ok"]
        + ["what is PNS", "blah", "согласен", "нет"]
    ),
    consent=st.sampled_from([None, False]),
    requested=st.sampled_from([None, "privacy_consent"]),
    known=st.dictionaries(st.sampled_from(FACT_SLOTS), st.booleans()),
)
def test_no_personal_question_before_consent(
    kb_url: str, use_kb, intent: str, text: str, consent: bool | None, requested, known
) -> None:
    import asyncio

    use_kb(kb_url)
    t = make_tracker(
        intent, text, slots={"privacy_consent": consent, "requested_slot": requested, **known}
    )
    slots, _ = asyncio.run(run_form(t))
    if slots.get("privacy_consent") is True:  # agreed in this very message: may go on
        return
    assert slots.get("requested_slot") not in PERSONAL_QUESTIONS
    assert not set(FACT_SLOTS) & set(slots)  # no health fact kept without consent


async def test_agreeing_records_consent_and_reads_the_first_message(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    started = [
        {
            "event": "user",
            "text": REPORT,
            "parse_data": {
                "text": REPORT,
                "intent": {"name": "inform_condition"},
                "entities": REPORT_ENTITIES,
            },
        },
        {"event": "action", "name": "referral_form"},
        {"event": "active_loop", "name": "referral_form"},
    ]
    t = make_tracker(
        "affirm", "/affirm", slots={"requested_slot": "privacy_consent"}, events=started
    )
    slots, dispatcher = await run_form(t)
    assert slots["privacy_consent"] is True
    assert slots["cancer_history"] is True and slots["neuro_symptoms"] is True
    assert slots["reported_conditions"] == ["cancer:ovarian", "symptom:unsteady_walking"]
    assert slots["requested_slot"] is None
    row = consent_row(fresh_kb_url)
    assert row is not None and row.status == "given" and row.notice_version == "1"
    assert isinstance(row.given_at, datetime)


async def test_after_consent_the_first_question_comes_with_the_intro(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    t = make_tracker("affirm", "I agree", slots={"requested_slot": "privacy_consent"})
    slots, dispatcher = await run_form(t)
    assert slots["privacy_consent"] is True and slots["requested_slot"] == "cancer_history"
    assert dispatcher.messages[0]["response"] == "utter_assessment_intro"


async def test_declining_ends_the_form_and_says_what_to_do_instead(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    t = make_tracker("deny", "No, thanks", slots={"requested_slot": "privacy_consent"})
    slots, _ = await run_form(t)
    assert slots["privacy_consent"] is False and slots["requested_slot"] is None
    assert consent_row(fresh_kb_url).status == "declined"
    dispatcher = CollectingDispatcher()
    events = await ActionReferralAdvice().run(
        dispatcher, make_tracker("deny", slots={"privacy_consent": False}), {}
    )
    assert slot_events(events)["referral_advice"] is None
    text = dispatcher.messages[0]["text"]
    assert "general questions" in text and "Center for Neuromuscular Pathology" in text
    assert "Only a doctor" not in text  # no assessment happened, so no advice from one


async def test_declined_last_time_is_asked_again(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    slots, _ = await run_form(
        make_tracker(
            "ask_should_see_doctor", "should I see a doctor", slots={"privacy_consent": False}
        )
    )
    assert slots["privacy_consent"] is None and slots["requested_slot"] == "privacy_consent"


async def test_an_unclear_answer_asks_for_consent_again(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    slots, _ = await run_form(
        make_tracker("nlu_fallback", "hmm maybe", slots={"requested_slot": "privacy_consent"})
    )
    assert slots == {"privacy_consent": None, "requested_slot": "privacy_consent"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/affirm", YES),
        ("/deny", NO),
        ("I agree", YES),
        ("agree", YES),
        ("yes", YES),
        ("No, thanks", NO),
        ("no", NO),
        ("I don't agree", NO),
        ("Согласен(на)", YES),
        ("согласна", YES),
        ("да", YES),
        ("Нет, спасибо", NO),
        ("не согласен", NO),
        ("I don't know", None),
        ("maybe later", None),
        ("what is PNS?", None),
    ],
)
def test_consent_answers(text: str, expected: str | None) -> None:
    assert consent_answer(text) == expected


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_the_consent_question_comes_from_the_kb_with_buttons_in_the_language(
    kb_url: str, use_kb, lang: str
) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    t = make_tracker("inform_condition", slots={"language": lang})
    await ActionAskPrivacyConsent().run(dispatcher, t, DOMAIN)
    [message] = dispatcher.messages
    words = {"en": ("consent", "version 1"), "ru": ("согласи", "версия 1")}[lang]
    assert all(word in message["text"] for word in words), message["text"]
    assert "Telegram" not in message["text"]
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == BUTTONS[lang]


async def test_in_telegram_the_question_warns_about_identifying_details(
    kb_url: str, use_kb
) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    t = make_tracker("inform_condition", channel="telegram", slots={"language": "en"})
    await ActionAskPrivacyConsent().run(dispatcher, t, DOMAIN)
    text = dispatcher.messages[0]["text"]
    assert text.index("Telegram") < text.index("consent")
    assert "outside Russia" in text and "do not send your name" in text


def add_rows(url: str, sender: str) -> None:
    with session_scope(url) as session:
        key = conversation_key(sender)
        record_feedback(session, "ask_tests", [1], [], helpful=False, conversation_key=key)
        record_unanswered(
            session, "my name is Anna, what is zic4?", "no_answer", conversation_key=key
        )


def rows_of(url: str, sender: str) -> tuple[int, int]:
    key = conversation_key(sender)
    with session_scope(url) as session:
        feedback = session.execute(select(Feedback).where(Feedback.conversation_key == key))
        questions = session.execute(
            select(UnansweredQuestion).where(UnansweredQuestion.conversation_key == key)
        )
        return len(feedback.all()), len(questions.all())


async def test_withdrawing_consent_erases_the_answers_and_keeps_the_record(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    await run_form(make_tracker("affirm", "/affirm", slots={"requested_slot": "privacy_consent"}))
    add_rows(fresh_kb_url, SENDER)
    add_rows(fresh_kb_url, "someone-else")
    dispatcher = CollectingDispatcher()
    filled = {
        "privacy_consent": True,
        "cancer_history": True,
        "reported_conditions": ["cancer:lung"],
    }
    events = await ActionWithdrawConsent().run(
        dispatcher, make_tracker("withdraw_consent", "withdraw consent", slots=filled), DOMAIN
    )
    slots = slot_events(events)
    assert all(
        slots[name] is None for name in (*FACT_SLOTS, "privacy_consent", "reported_conditions")
    )
    assert dispatcher.messages[0]["text"] == "utter_consent_withdrawn"  # an English conversation
    assert rows_of(fresh_kb_url, SENDER) == (0, 0)
    assert rows_of(fresh_kb_url, "someone-else") == (1, 1)
    row = consent_row(fresh_kb_url)
    assert row.status == "withdrawn" and row.given_at and row.withdrawn_at


async def test_erasure_in_the_chat_leaves_only_the_fact_of_erasure(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    await run_form(make_tracker("affirm", "/affirm", slots={"requested_slot": "privacy_consent"}))
    add_rows(fresh_kb_url, SENDER)
    add_rows(fresh_kb_url, "someone-else")
    dispatcher = CollectingDispatcher()
    await ActionEraseConversation().run(
        dispatcher,
        make_tracker("request_erasure", "/request_erasure", slots={"language": "en"}),
        DOMAIN,
    )
    assert dispatcher.messages[0]["text"] == "utter_conversation_erased"
    assert rows_of(fresh_kb_url, SENDER) == (0, 0)
    assert rows_of(fresh_kb_url, "someone-else") == (1, 1)
    row = consent_row(fresh_kb_url)
    assert (row.status, row.notice_version, row.given_at, row.withdrawn_at) == (
        "erased",
        None,
        None,
        None,
    )
    assert row.erased_at is not None


async def test_the_first_message_states_the_notice_and_the_operator(
    fresh_kb_url: str, use_kb
) -> None:
    use_kb(fresh_kb_url)
    dispatcher = CollectingDispatcher()
    # a conversation the widget opens (no message to wait for): the welcome is sent at once
    t = make_tracker("greet", slots={"session_started_metadata": {"session_request": True}})
    await ActionSessionStart().run(dispatcher, t, REAL_DOMAIN)
    disclosure, notice = dispatcher.messages
    assert "automated assistant" in disclosure["text"]
    assert "stored for up to 30 days" in notice["text"]
    assert "details are not here yet" in notice["text"]  # operator settings still empty
    with session_scope(fresh_kb_url) as session:
        session.get(Setting, "privacy_operator_name").value = "GBUZ MCSC"
        session.get(Setting, "privacy_operator_contact").value = "dpo@clinic.example"
    dispatcher = CollectingDispatcher()
    await ActionSessionStart().run(dispatcher, t, REAL_DOMAIN)
    assert (
        "Operator of your personal data: GBUZ MCSC. Contact: dpo@clinic.example."
        in (dispatcher.messages[1]["text"])
    )


async def test_a_typed_erasure_request_is_asked_back_and_erases_nothing(
    fresh_kb_url: str, use_kb
) -> None:
    """A statistical model read the request: only the confirming button erases."""
    use_kb(fresh_kb_url)
    add_rows(fresh_kb_url, SENDER)
    dispatcher = CollectingDispatcher()
    events = await ActionEraseConversation().run(
        dispatcher, make_tracker("request_erasure", "delete my conversation"), DOMAIN
    )
    assert events == []
    assert dispatcher.messages[0]["text"] == "utter_confirm_erasure"
    assert rows_of(fresh_kb_url, SENDER) == (1, 1)


@pytest.mark.parametrize(
    ("text", "confirmed"),
    [
        ("/request_erasure", True),
        (" /request_erasure ", True),
        ('/request_erasure{"x": 1}', True),
        ("EXTERNAL: request_erasure", True),  # staff, through the token-protected HTTP API
        ("EXTERNAL: greet", False),
        ("delete my conversation", False),
        ("удалите мои данные", False),
        ("Robert'); DELETE FROM answers WHERE 1=1; --", False),
        ("/request_erasure_now", False),
        ("/deny", False),
        ("", False),
        (None, False),
    ],
)
def test_only_the_button_confirms_an_erasure(text: str | None, confirmed: bool) -> None:
    from actions.privacy import erasure_confirmed

    assert erasure_confirmed(text) is confirmed
