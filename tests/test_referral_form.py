"""The referral form's validation action and the advice, with trackers and a real KB."""

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.referral import Facts
from actions.referral_form import (
    ActionReferralAdvice,
    ValidateReferralForm,
    compose_advice,
    extract_facts,
)
from kb.answers import Composer, KnowledgeBase
from kb.db import session_scope
from tests.test_actions import tracker as any_tracker
from tests.test_actions import use_kb  # noqa: F401  (fixture)

DOMAIN = {
    "forms": {
        "referral_form": {
            "required_slots": ["cancer_history", "neuro_symptoms", "antibodies_positive"]
        }
    },
    "slots": {},
}


def tracker(
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    text: str = "",
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Any:
    """A tracker of a patient who has consented (tests/test_privacy_consent.py: before)."""
    return any_tracker(
        intent, entities, text, {"privacy_consent": True, **(slots or {})}, active_loop
    )


def ent(kind: str, value: str, text: str, span: str) -> dict[str, Any]:
    start = text.index(span)
    return {"entity": kind, "value": value, "start": start, "end": start + len(span)}


async def run_form(t) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ValidateReferralForm().run(dispatcher, t, DOMAIN)
    return events, dispatcher


def slot_events(events: list) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_a_report_prefills_and_asks_only_what_is_missing(kb_url, use_kb) -> None:
    use_kb(kb_url)
    text = "my mum has ovarian cancer and now she walks like she's drunk"
    entities = [
        ent("cancer", "ovarian", text, "ovarian cancer"),
        ent("symptom", "unsteady_walking", text, "walks like she's drunk"),
    ]
    events, dispatcher = await run_form(tracker("inform_condition", entities, text))
    slots = slot_events(events)
    assert slots["cancer_history"] is True and slots["neuro_symptoms"] is True
    assert slots["requested_slot"] is None  # decided: nothing to ask
    assert slots["reported_conditions"] == ["cancer:ovarian", "symptom:unsteady_walking"]
    assert dispatcher.messages == []  # no "I'll ask three questions" when none are needed


async def test_antibody_found_decides_at_once(kb_url, use_kb) -> None:
    use_kb(kb_url)
    text = "anti yo positive"
    events, _ = await run_form(
        tracker("inform_condition", [ent("antibody", "yo", text, "anti yo")], text)
    )
    slots = slot_events(events)
    assert slots["antibodies_positive"] is True and slots["requested_slot"] is None


async def test_negative_antibody_result_is_not_a_finding(kb_url, use_kb) -> None:
    use_kb(kb_url)
    text = "my anti-Hu test was negative"
    events, dispatcher = await run_form(
        tracker("inform_condition", [ent("antibody", "hu", text, "anti-Hu")], text)
    )
    slots = slot_events(events)
    assert slots["antibodies_positive"] is False
    assert slots["requested_slot"] == "cancer_history"
    assert dispatcher.messages[0]["response"] == "utter_assessment_intro"


async def test_question_without_facts_starts_with_the_intro(kb_url, use_kb) -> None:
    use_kb(kb_url)
    events, dispatcher = await run_form(
        tracker("ask_should_see_doctor", text="should I see a neurologist?")
    )
    assert slot_events(events)["requested_slot"] == "cancer_history"
    assert [m["response"] for m in dispatcher.messages] == ["utter_assessment_intro"]


@pytest.mark.parametrize(
    ("intent", "text", "value"),
    [
        ("affirm", "yes", True),
        ("deny", "no", False),
        ("deny", "I don't know", False),
        ("nlu_fallback", "never tested", False),
    ],
)
async def test_answers_to_the_question_asked(kb_url, use_kb, intent, text, value) -> None:
    use_kb(kb_url)
    t = tracker(
        intent,
        text=text,
        slots={
            "requested_slot": "antibodies_positive",
            "cancer_history": False,
            "neuro_symptoms": True,
        },
        active_loop="referral_form",
    )
    events, _ = await run_form(t)
    assert slot_events(events)["antibodies_positive"] is value
    assert slot_events(events)["requested_slot"] is None


@pytest.mark.parametrize(
    ("intent", "text"),
    [("affirm", "sdfkj qwe"), ("nlu_fallback", "hmm maybe"), ("inform_condition", "my son")],
)
async def test_an_answer_not_understood_is_asked_again_not_guessed(
    kb_url, use_kb, intent, text
) -> None:
    use_kb(kb_url)
    t = tracker(
        intent,
        text=text,
        slots={"requested_slot": "neuro_symptoms", "cancer_history": True},
        active_loop="referral_form",
    )
    events, dispatcher = await run_form(t)
    assert slot_events(events) == {"neuro_symptoms": None, "requested_slot": "neuro_symptoms"}
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer_not_understood"]


async def test_free_text_answer_with_an_entity(kb_url, use_kb) -> None:
    use_kb(kb_url)
    text = "yes, lung cancer in 2021"
    t = tracker(
        "inform_condition",
        [ent("cancer", "lung", text, "lung cancer")],
        text,
        slots={"requested_slot": "cancer_history"},
        active_loop="referral_form",
    )
    events, _ = await run_form(t)
    assert slot_events(events)["cancer_history"] is True
    assert slot_events(events)["requested_slot"] == "neuro_symptoms"


async def test_a_question_mid_form_fills_nothing(kb_url, use_kb) -> None:
    """So Rasa rejects the form turn and the digression rules answer the question."""
    use_kb(kb_url)
    text = "what does anti-Yo mean?"
    t = tracker(
        "ask_antibodies",
        [ent("antibody", "yo", text, "anti-Yo")],
        text,
        slots={
            "requested_slot": "antibodies_positive",
            "cancer_history": True,
            "neuro_symptoms": False,
        },
        active_loop="referral_form",
    )
    events, _ = await run_form(t)
    assert set(slot_events(events)) == {"requested_slot"}


async def test_red_flag_mid_form_gives_emergency_advice_and_ends_the_form(kb_url, use_kb) -> None:
    use_kb(kb_url)
    t = tracker(
        "inform_condition",
        text="I have lung cancer and now I can't breathe",
        slots={"requested_slot": "neuro_symptoms", "cancer_history": True},
        active_loop="referral_form",
    )
    events, dispatcher = await run_form(t)
    assert dispatcher.messages[0]["text"].startswith("This may be an emergency. Call 112")
    assert slot_events(events)["referral_advice"] == "emergency"
    assert slot_events(events)["requested_slot"] is None


@pytest.mark.parametrize("intent", ["out_of_scope", "report_emergency"])
async def test_stop_ends_the_form(kb_url, use_kb, intent) -> None:
    use_kb(kb_url)
    t = tracker(
        intent, text="stop", slots={"requested_slot": "cancer_history"}, active_loop="referral_form"
    )
    events, dispatcher = await run_form(t)
    assert slot_events(events) == {"assessment_stopped": True, "requested_slot": None}
    assert dispatcher.messages == []


def test_extract_facts_ignores_entities_in_questions() -> None:
    text = "what is anti-Yo?"
    facts, mentioned = extract_facts(
        "ask_antibodies", text, [ent("antibody", "yo", text, "anti-Yo")], None
    )
    assert facts == {} and mentioned == []


@pytest.mark.parametrize(
    ("slots", "advice", "phrase"),
    [
        ({"antibodies_positive": True}, "neuromuscular_centre", "referral.reason.antibodies"),
        (
            {"cancer_history": True, "neuro_symptoms": True},
            "neuromuscular_centre",
            "referral.reason.cancer_symptoms",
        ),
        (
            {"cancer_history": False, "neuro_symptoms": True, "antibodies_positive": False},
            "neurologist",
            "referral.neurologist",
        ),
        (
            {"cancer_history": True, "neuro_symptoms": False, "antibodies_positive": False},
            "no_referral",
            "referral.no_referral",
        ),
    ],
)
async def test_advice_explains_why_and_always_says_only_a_doctor_can_diagnose(
    kb_url, use_kb, slots, advice, phrase
) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    events = await ActionReferralAdvice().run(dispatcher, tracker("affirm", slots=slots), {})
    assert SlotSet("referral_advice", advice) in events
    text = dispatcher.messages[0]["text"]
    with session_scope(kb_url) as session:
        composer = Composer(KnowledgeBase(session), "en")
        centre = composer.centre_name()
        assert composer.text(phrase, centre=centre) in text
        assert composer.text("advice.doctor") in text
        if advice != "no_referral":
            assert composer.text("centre.no_contacts", name=centre) in text


async def test_advice_after_an_emergency_adds_nothing(kb_url, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    assert (
        await ActionReferralAdvice().run(
            dispatcher, tracker("affirm", slots={"referral_advice": "emergency"}), {}
        )
        == []
    )
    assert dispatcher.messages == []


async def test_stopped_assessment_gives_general_advice(kb_url, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    events = await ActionReferralAdvice().run(
        dispatcher, tracker("affirm", slots={"assessment_stopped": True}), {}
    )
    assert SlotSet("referral_advice", None) in events
    with session_scope(kb_url) as session:
        stopped = Composer(KnowledgeBase(session), "en").text("referral.stopped")
        assert stopped in dispatcher.messages[0]["text"]


def test_advice_names_what_the_user_reported(session) -> None:
    reply = compose_advice(
        KnowledgeBase(session),
        Facts(True, True, None),
        "neuromuscular_centre",
        ["cancer:ovarian", "symptom:unsteady_walking", "cancer:not_in_the_kb"],
        "en",
    )
    assert "You told me about: Ovarian cancer, Unsteady walking and loss of balance." in reply.text


async def test_advice_is_in_the_conversation_language_russian_by_default(kb_url, use_kb) -> None:
    use_kb(kb_url)
    slots = {"cancer_history": True, "neuro_symptoms": True, "antibodies_positive": None}
    for language in ("ru", None):
        dispatcher = CollectingDispatcher()
        await ActionReferralAdvice().run(
            dispatcher, tracker("affirm", slots={**slots, "language": language}), {}
        )
        text = dispatcher.messages[0]["text"]
        with session_scope(kb_url) as session:
            composer = Composer(KnowledgeBase(session), "ru")
            assert composer.text("advice.doctor") in text
            assert composer.centre_name() in text
        # sources keep the publications' own titles; everything else is Russian
        body = text.split("\n\nИсточники:")[0]
        assert "doctor" not in body and "Center" not in body
