"""Facts already stated (actions/facts.py): one test per kind of statement, plus the form.

Entities are given as Rasa would give them (KB ids with spans); the functions read the words.
"""

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.facts import (
    ANTIBODIES,
    CANCER,
    SYMPTOMS,
    UserMessage,
    clauses,
    history_facts,
    mentioned_items,
    message_facts,
    user_messages,
)
from actions.referral_form import ValidateReferralForm, earlier_facts
from tests.test_actions import use_kb  # noqa: F401  (fixture)

DOMAIN = {"forms": {"referral_form": {"required_slots": list((CANCER, SYMPTOMS, ANTIBODIES))}}}


def ent(text: str, span: str, kind: str, value: str) -> dict[str, Any]:
    start = text.index(span)
    return {"entity": kind, "value": value, "start": start, "end": start + len(span)}


def msg(text: str, *spans: tuple[str, str, str]) -> UserMessage:
    return UserMessage(text, tuple(ent(text, *s) for s in spans))


# ---------------------------------------------------------------- the issue's first example
ISSUE_TEXT = (
    "I have numbness in my feet. I never had cancer and my antibody test was negative. "
    "Who should I see?"
)


def test_the_issues_first_example_states_all_three_facts() -> None:
    message = msg(ISSUE_TEXT, ("numbness", "symptom", "numbness"))
    assert message_facts(message) == {SYMPTOMS: True, CANCER: False, ANTIBODIES: False}


def test_questions_are_split_from_statements() -> None:
    parts = clauses("my mum has breast cancer, can it cause PNS?")
    assert [(c.text.strip(), c.question) for c in parts] == [
        ("my mum has breast cancer", False),
        ("can it cause PNS?", True),
    ]
    assert clauses("Who should I see?")[0].question


# ---------------------------------------------------------------- cancer
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # past counts, whatever the time
        ("had breast cancer years ago", [("breast cancer", "cancer", "breast")], True),
        ("my father was treated for SCLC in 2015", [("SCLC", "cancer", "sclc")], True),
        ("I'm being treated for lymphoma", [("lymphoma", "cancer", "lymphoma")], True),
        ("I'm a cancer survivor", [], True),
        ("she finished chemo last spring", [("chemo", "treatment", "chemotherapy")], True),
        # negation
        ("never had cancer", [], False),
        ("I don't think she ever had cancer", [], False),
        ("no cancer, but my hands are numb", [("hands are numb", "symptom", "numbness")], False),
        ("the scan found no tumour", [], False),
        ("the tumour was benign", [], False),
        # uncertain or a search: not a fact
        ("they are looking for a tumour", [], None),
        ("could it be cancer?", [], None),
        ("I'm worried it might be cancer", [], None),
        ("cancer runs in the family", [], None),
        ("my mum is being checked for cancer", [], None),
        ("my grandfather died of lung cancer", [("lung cancer", "cancer", "lung")], None),
        # a question about a cancer states nothing
        ("can breast cancer cause PNS?", [("breast cancer", "cancer", "breast")], None),
        # a statement before a question does
        (
            "my mum has breast cancer, can it cause PNS?",
            [("breast cancer", "cancer", "breast")],
            True,
        ),
    ],
)
def test_cancer_history(text: str, spans: list, expected: bool | None) -> None:
    assert message_facts(msg(text, *spans)).get(CANCER) is expected


# ---------------------------------------------------------------- neurological symptoms
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("I have numbness in my feet", [("numbness", "symptom", "numbness")], True),
        (
            "his eyes flick side to side",
            [("eyes flick", "symptom", "involuntary_eye_movements")],
            True,
        ),
        ("I was diagnosed with LEMS", [("LEMS", "syndrome", "lems")], True),
        ("she has developed neurological symptoms", [], True),
        ("no symptoms at all", [], False),
        ("he has no nerve problems", [], False),
        ("she feels fine otherwise", [], False),
        ("no numbness or weakness", [("numbness", "symptom", "numbness")], False),
        ("the numbness went away", [("numbness", "symptom", "numbness")], False),
        ("can PNS cause numbness?", [("numbness", "symptom", "numbness")], None),
    ],
)
def test_neuro_symptoms(text: str, spans: list, expected: bool | None) -> None:
    assert message_facts(msg(text, *spans)).get(SYMPTOMS) is expected


# ---------------------------------------------------------------- antibodies
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("anti-Yo came back positive", [("anti-Yo", "antibody", "yo")], True),
        ("got my results, anti-Yo is flagged, is that bad?", [("anti-Yo", "antibody", "yo")], True),
        ("they found antibodies in his blood", [], True),
        ("my husband has anti-Hu", [("anti-Hu", "antibody", "hu")], True),
        ("antibodies were negative", [], False),
        ("my antibody test was negative", [], False),
        ("my anti-Hu test was negative", [("anti-Hu", "antibody", "hu")], False),
        ("negative for all antibodies", [], False),
        # not tested / not back yet counts as not found, like the answer "I don't know"
        ("nobody ever tested his antibodies", [], False),
        ("we're still waiting for the antibody results", [], False),
        # a test without a result states nothing
        ("I had an antibody test last week", [], None),
        ("they tested him for anti-Hu", [("anti-Hu", "antibody", "hu")], None),
        ("what does anti-Yo mean?", [("anti-Yo", "antibody", "yo")], None),
    ],
)
def test_antibodies(text: str, spans: list, expected: bool | None) -> None:
    assert message_facts(msg(text, *spans)).get(ANTIBODIES) is expected


# ---------------------------------------------------------------- over a conversation
def test_later_statements_win() -> None:
    first = msg("I think my antibodies were positive")
    second = msg("sorry, I checked the letter: the antibodies were negative")
    assert history_facts([first, second])[ANTIBODIES] is False
    assert history_facts([second, first])[ANTIBODIES] is True


def test_mentioned_items_skip_negated_and_asked_things() -> None:
    text = "dad has lung cancer and no numbness, is anti-Hu likely?"
    message = msg(
        text,
        ("lung cancer", "cancer", "lung"),
        ("numbness", "symptom", "numbness"),
        ("anti-Hu", "antibody", "hu"),
    )
    assert mentioned_items(message) == ["cancer:lung"]


def user_event(text: str, intent: str = "inform_condition", entities: list | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": entities or []},
    }


def test_user_messages_skip_payloads_and_other_events() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        user_event("never had cancer"),
        {"event": "bot", "text": "Was this helpful?"},
        user_event("/affirm", "affirm"),
    ]
    assert [m.text for m in user_messages(events)] == ["never had cancer"]


def form_tracker(events: list[dict], slots: dict | None = None) -> Tracker:
    latest = events[-1]
    return Tracker(
        sender_id="facts",
        # a patient who has consented (before consent nothing is read: test_privacy_consent)
        slots={"requested_slot": None, "privacy_consent": True, **(slots or {})},
        latest_message={
            "text": latest["text"],
            "intent": latest["parse_data"]["intent"],
            "entities": latest["parse_data"]["entities"],
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_earlier_facts_fill_only_unknown_slots_and_skip_the_current_message() -> None:
    text = "I have numbness in my feet"
    events = [
        user_event(text, entities=[ent(text, "numbness", "symptom", "numbness")]),
        user_event("my antibodies were negative", "inform_condition"),
        user_event("should I see someone?", "ask_should_see_doctor"),
    ]
    found = {e["name"]: e["value"] for e in earlier_facts(form_tracker(events, {SYMPTOMS: False}))}
    assert found == {ANTIBODIES: False, "reported_conditions": ["symptom:numbness"]}


async def test_the_form_asks_only_what_is_still_unknown(kb_url, use_kb) -> None:  # noqa: F811
    """Facts from earlier messages: cancer and antibodies known, so no question about them."""
    use_kb(kb_url)
    events = [
        user_event("I had breast cancer years ago", entities=[]),
        user_event("my antibody test was negative"),
        user_event("who should I see?", "ask_should_see_doctor"),
    ]
    events[0]["parse_data"]["entities"] = [
        ent(events[0]["text"], "breast cancer", "cancer", "breast")
    ]
    dispatcher = CollectingDispatcher()
    out = await ValidateReferralForm().run(dispatcher, form_tracker(events), DOMAIN)
    slots = {e["name"]: e["value"] for e in out if e.get("event") == "slot"}
    assert slots[CANCER] is True and slots[ANTIBODIES] is False
    assert slots["requested_slot"] == SYMPTOMS  # the one fact still unknown
