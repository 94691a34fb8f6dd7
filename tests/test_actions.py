"""Custom actions against a real seeded KB, with rasa-sdk trackers (as in rasa-sdk's tests)."""

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import kb_access
from actions.conversation import ActionHandoff
from actions.knowledge import ActionAnswerKnowledge, ActionEmergency, message_entities
from actions.referral_form import ActionReferralAdvice
from kb.answers import compose_answer
from kb.db import session_scope


def tracker(
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    text: str = "",
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    language: str | None = "en",
) -> Tracker:
    """A tracker after one user message, as the action server receives it (in an English
    conversation unless ``language`` says otherwise; None: the slot is not set yet)."""
    return Tracker(
        sender_id="test",
        slots={"requested_slot": None, "language": language, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture()
def use_kb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def use(url: str) -> None:
        monkeypatch.setenv("PNS_DATABASE_URL", url)
        kb_access.database_url.cache_clear()

    yield use
    kb_access.database_url.cache_clear()


def test_entities_are_taken_in_message_order() -> None:
    t = tracker(
        "ask_antibodies",
        [
            {"entity": "antibody", "value": "yo", "start": 20},
            {"entity": "antibody", "value": "hu", "start": 5},
            {"entity": "antibody", "value": None, "start": 9},
        ],
    )
    assert message_entities(t) == [("antibody", "hu"), ("antibody", "yo")]


async def test_answer_comes_from_the_kb(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "antibody", "value": "yo", "start": 10, "end": 17}]
    events = await ActionAnswerKnowledge().run(
        dispatcher, tracker("ask_antibodies", entities, "what is anti-Yo"), {}
    )
    with session_scope(kb_url) as session:
        reply = compose_answer(session, "ask_antibodies", [("antibody", "yo")], "en")
    assert dispatcher.messages[0]["text"] == reply.text
    assert dispatcher.messages[1]["response"] == "utter_ask_helpful"
    assert events == [
        SlotSet(
            "knowledge_context",
            {
                "intent": "ask_antibodies",
                "entities": [["antibody", "yo"]],
                "answer_ids": reply.answer_ids,
                "turn": 0,
            },
        )
    ]


async def test_follow_up_uses_the_previous_topic(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    context = {
        "intent": "ask_syndrome",
        "entities": [["syndrome", "lems"]],
        "answer_ids": [],
        "turn": 1,
    }
    t = tracker(
        "ask_treatment", text="and how is it treated?", slots={"knowledge_context": context}
    )
    t.events = [
        {"event": "user", "text": "what is LEMS"},
        {"event": "user", "text": "and how is it treated?"},
    ]
    await ActionAnswerKnowledge().run(dispatcher, t, {})
    with session_scope(kb_url) as session:
        expected = compose_answer(session, "ask_treatment", [("syndrome", "lems")], "en").text
    assert dispatcher.messages[0]["text"] == expected


async def test_context_survives_a_detour_but_not_a_new_topic(kb_url: str, use_kb) -> None:
    """The topic stays over a thank-you (issue 16); a message naming something else ends it."""
    use_kb(kb_url)
    context = {"intent": "ask_tests", "entities": [["test", "emg"]], "answer_ids": [], "turn": 1}
    emg = [{"entity": "test", "value": "emg", "start": 11, "end": 14}]
    hu = [{"entity": "antibody", "value": "hu", "start": 13, "end": 19}]
    for between, topic in (
        ({"text": "thanks", "parse_data": {"entities": []}}, [("test", "emg")]),
        ({"text": "and what is anti-Hu", "parse_data": {"entities": hu}}, []),
    ):
        dispatcher = CollectingDispatcher()
        t = tracker(
            "ask_treatment", text="how is it treated?", slots={"knowledge_context": context}
        )
        t.events = [
            {"event": "user", "text": "what is an EMG", "parse_data": {"entities": emg}},
            {"event": "user", **between},
            {"event": "user", "text": "how is it treated?"},
        ]
        await ActionAnswerKnowledge().run(dispatcher, t, {})
        with session_scope(kb_url) as session:
            expected = compose_answer(session, "ask_treatment", topic, "en").text
        assert dispatcher.messages[0]["text"] == expected


async def test_red_flag_inside_a_question_gets_emergency_advice_first(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(
        dispatcher,
        tracker(
            "ask_syndrome",
            [{"entity": "syndrome", "value": "lems", "start": 0}],
            text="I have LEMS and now I can't breathe",
        ),
        {},
    )
    assert dispatcher.messages[0]["text"].startswith("This may be an emergency. Call 112")
    assert SlotSet("referral_advice", "emergency") in events


async def test_unknown_entity_is_recorded_for_staff(fresh_kb_url: str, use_kb) -> None:
    from sqlalchemy import select

    from kb.models import UnansweredQuestion

    use_kb(fresh_kb_url)
    await ActionAnswerKnowledge().run(
        CollectingDispatcher(),
        tracker(
            "ask_antibodies",
            [{"entity": "antibody", "value": "zic4", "start": 8}],
            text="what is zic4, call me at +7 999 123 45 67",
        ),
        {},
    )
    with session_scope(fresh_kb_url) as session:
        row = session.execute(select(UnansweredQuestion)).scalar_one()
    assert (row.reason, row.predicted_intent, row.lang) == (
        "unknown_entity",
        "ask_antibodies",
        "en",
    )
    assert row.text == "what is zic4, call me at [number]"


async def test_database_down_gives_a_safe_reply(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")  # no tables: every query fails
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("ask_pns_overview"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_unavailable"]


async def test_emergency_says_call_the_number_and_sets_the_advice(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    t = tracker("report_emergency", text="my husband is having a seizure that won't stop")
    events = await ActionEmergency().run(dispatcher, t, {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert "Call 112 now (ambulance 103)" in text
    assert "do not put anything in their mouth" in text  # the seizure first-aid phrase


async def test_emergency_in_russian_gets_russian_advice(kb_url: str, use_kb) -> None:
    """The KB's Russian advice with the numbers of the settings and the first aid for the kind
    (the language from the slot, else the script of the message)."""
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    t = tracker("report_emergency", text="мама не может дышать", language="ru")
    await ActionEmergency().run(dispatcher, t, {})
    text = dispatcher.messages[0]["text"]
    assert "звоните 112 (скорая помощь — 103)" in text
    assert "Помогите человеку сидеть прямо" in text  # emergency.breathing, in Russian


async def test_emergency_advice_survives_a_broken_database(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")
    dispatcher = CollectingDispatcher()
    t = tracker("report_emergency", text="he is not breathing")
    events = await ActionEmergency().run(dispatcher, t, {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert dispatcher.messages[0]["response"] == "utter_emergency_fallback"
    assert dispatcher.messages[0]["emergency_number"] == "112"
    assert dispatcher.messages[0]["ambulance_number"] == "103"


async def test_every_action_that_reads_the_kb_has_a_safe_reply_when_it_is_down(
    tmp_path, use_kb
) -> None:
    """The same fallback (actions.kb_access.with_kb) in the handoff and the referral advice."""
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")  # no tables: every query fails
    dispatcher = CollectingDispatcher()
    facts = {"neuro_symptoms": False, "antibodies_positive": False}
    events = await ActionReferralAdvice().run(dispatcher, tracker("deny", slots=facts), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_unavailable"]
    assert {"event": "slot", "name": "referral_advice", "value": "no_referral"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("request_human"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_unavailable"]


@pytest.mark.parametrize("language", ["ru", None])
async def test_a_russian_conversation_gets_russian_answers_and_emergency_advice(
    kb_url: str, use_kb, language: str | None
) -> None:
    """The language slot decides the reply language; unset means Russian (the clinic's)."""
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(
        dispatcher,
        tracker(
            "ask_antibodies",
            [{"entity": "antibody", "value": "yo", "start": 8}],
            text="что такое анти-Yo",
            language=language,
        ),
        {},
    )
    with session_scope(kb_url) as session:
        expected = compose_answer(session, "ask_antibodies", [("antibody", "yo")], "ru").text
    assert dispatcher.messages[0]["text"] == expected and "Источники:" in expected
    dispatcher = CollectingDispatcher()
    await ActionEmergency().run(dispatcher, tracker("report_emergency", language=language), {})
    assert "звоните 112" in dispatcher.messages[0]["text"]
