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
) -> Tracker:
    """A tracker after one user message, as the action server receives it."""
    return Tracker(
        sender_id="test",
        slots={"requested_slot": None, **(slots or {})},
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
        reply = compose_answer(session, "ask_antibodies", [("antibody", "yo")])
    assert dispatcher.messages[0]["text"] == reply.text
    assert dispatcher.messages[1]["text"] == "Was this helpful?"
    assert [b["title"] for b in dispatcher.messages[1]["buttons"]] == ["Yes", "No"]
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
        expected = compose_answer(session, "ask_treatment", [("syndrome", "lems")]).text
    assert dispatcher.messages[0]["text"] == expected


async def test_context_does_not_survive_turns_in_between(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    context = {"intent": "ask_tests", "entities": [["test", "emg"]], "answer_ids": [], "turn": 1}
    t = tracker("ask_treatment", text="how is it treated?", slots={"knowledge_context": context})
    t.events = [
        {"event": "user", "text": "what is an EMG"},
        {"event": "user", "text": "thanks"},
        {"event": "user", "text": "how is it treated?"},
    ]
    await ActionAnswerKnowledge().run(dispatcher, t, {})
    with session_scope(kb_url) as session:
        assert dispatcher.messages[0]["text"] == compose_answer(session, "ask_treatment", []).text


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
    assert (row.reason, row.predicted_intent) == ("unknown_entity", "ask_antibodies")
    assert row.text == "what is zic4, call me at [number]"


async def test_database_down_gives_a_safe_reply(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")  # no tables: every query fails
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("ask_pns_overview"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_unavailable"]


async def test_emergency_says_call_the_number_and_sets_the_advice(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency().run(dispatcher, tracker("report_emergency"), {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert len(dispatcher.messages) == 1 and "Call 112" in dispatcher.messages[0]["text"]


async def test_emergency_advice_survives_a_broken_database(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency().run(dispatcher, tracker("report_emergency"), {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert dispatcher.messages[0]["response"] == "utter_emergency_fallback"
    assert dispatcher.messages[0]["number"] == "112"


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
