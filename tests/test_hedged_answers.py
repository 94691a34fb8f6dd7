"""Yes / no / "don't know" in everyday English (actions/understanding.py), and the form.

The plain answers are in tests/test_understanding.py; these are the hedged and qualified ones
patients write, and answers that state a fact as well.
"""

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.referral_form import ValidateReferralForm
from actions.understanding import NO, UNKNOWN, YES, answer_kind, english_hedged_answer
from tests.test_actions import use_kb  # noqa: F401  (fixture)
from tests.test_referral_form import tracker  # a patient who has consented

DOMAIN = {
    "forms": {
        "referral_form": {
            "required_slots": ["cancer_history", "neuro_symptoms", "antibodies_positive"]
        }
    },
}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I don't think so", NO),
        ("don't think so", NO),
        ("not that I know of", NO),
        ("Not as far as I know", NO),
        ("pretty sure not", NO),
        ("I'm pretty sure not", NO),
        ("probably not", NO),
        ("I doubt it", NO),
        ("unfortunately not", NO),
        ("thankfully no", NO),
        ("yes, sadly", YES),
        ("sadly yes", YES),
        ("unfortunately she did", YES),
        ("I'm afraid so", YES),
        ("I think so", YES),
        ("yes I think so", YES),
        ("a little", YES),
        ("kind of", YES),
        ("nobody ever tested that", UNKNOWN),
        ("they never checked", UNKNOWN),
        ("we were never told", UNKNOWN),
        ("we're still waiting for the results", UNKNOWN),
        ("hard to say", UNKNOWN),
        ("I'm not sure, probably not", UNKNOWN),
        ("not yet", UNKNOWN),
    ],
)
def test_hedged_answers(text: str, kind: str) -> None:
    assert answer_kind(text) == kind


@pytest.mark.parametrize(
    "text", ["What are antibodies?", "sdfkj", "hmm maybe", "my son", "is that bad?"]
)
def test_not_answers_stay_unread(text: str) -> None:
    assert answer_kind(text) is None


def test_plain_answers_are_left_to_the_plain_tables() -> None:
    assert english_hedged_answer("yes") is None and english_hedged_answer("no") is None


def ent(kind: str, value: str, text: str, span: str) -> dict[str, Any]:
    start = text.index(span)
    return {"entity": kind, "value": value, "start": start, "end": start + len(span)}


async def form_slots(intent: str, text: str, slots: dict, entities: list | None = None) -> dict:
    t = tracker(intent, entities or [], text, slots=slots, active_loop="referral_form")
    events = await ValidateReferralForm().run(CollectingDispatcher(), t, DOMAIN)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    ("intent", "text", "value"),
    [
        # DIET may read these as anything; the words decide
        ("deny", "I don't think so", False),
        ("affirm", "yes, sadly", True),
        ("ask_tests", "nobody ever tested that", False),
        ("deny", "not that I know of", False),
        ("nlu_fallback", "pretty sure not", False),
    ],
)
async def test_hedged_answers_fill_the_question_asked(
    kb_url,
    use_kb,
    intent,
    text,
    value,  # noqa: F811
) -> None:
    use_kb(kb_url)
    slots = await form_slots(
        intent, text, {"requested_slot": "antibodies_positive", "neuro_symptoms": True}
    )
    assert slots["antibodies_positive"] is value


async def test_an_answer_that_states_a_fact_records_both(kb_url, use_kb) -> None:  # noqa: F811
    """Asked about cancer: "yes, lung cancer two years ago, and his feet are numb"."""
    use_kb(kb_url)
    text = "yes, lung cancer two years ago, and his feet are numb"
    entities = [
        ent("cancer", "lung", text, "lung cancer"),
        ent("symptom", "numbness", text, "feet are numb"),
    ]
    slots = await form_slots("affirm", text, {"requested_slot": "cancer_history"}, entities)
    assert slots["cancer_history"] is True and slots["neuro_symptoms"] is True
    assert slots["reported_conditions"] == ["cancer:lung", "symptom:numbness"]


async def test_a_no_that_states_another_fact_records_both(kb_url, use_kb) -> None:  # noqa: F811
    use_kb(kb_url)
    text = "no, but the antibody test was positive"
    slots = await form_slots("deny", text, {"requested_slot": "cancer_history"})
    assert slots["cancer_history"] is False and slots["antibodies_positive"] is True
