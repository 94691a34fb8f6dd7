"""The issue's example conversations (issue 16), over REST against the running servers.

`python -m bot run` with the real Rasa server, action server and KB, as a patient would meet
it: facts said in the first message are not asked again, hedged answers are understood, and a
follow-up keeps its topic through a clarification turn and a short detour.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.answers import compose_answer
from kb.db import session_scope
from tests.integration.running import Assistant, start_assistant, stop_assistant

pytestmark = pytest.mark.integration

CANCER_QUESTION = "Has the person been diagnosed with cancer"
CLARIFICATION = "Did you want to know about"


def agree(assistant: Assistant, sender: str) -> str:
    """The assessment's first question is for consent (privacy): press "I agree"."""
    assert assistant.tracker(sender)["slots"]["requested_slot"] == "privacy_consent"
    return assistant.say("/affirm", sender=sender)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = start_assistant(tmp_path_factory.mktemp("own-words"))
    yield running
    stop_assistant(running)


def test_facts_in_the_first_message_are_not_asked_again(assistant: Assistant) -> None:
    """The issue's first example: all three facts are in the message; nothing is asked."""
    sender = "numb-feet"
    reply = assistant.say(
        "I have numbness in my feet. I never had cancer and my antibody test was negative. "
        "Who should I see?",
        sender=sender,
    )
    reply = agree(assistant, sender)
    slots = assistant.tracker(sender)["slots"]
    assert CANCER_QUESTION not in reply
    assert (slots["cancer_history"], slots["neuro_symptoms"], slots["antibodies_positive"]) == (
        False,
        True,
        False,
    )
    assert slots["referral_advice"] == "neurologist"
    assert "Only a doctor can make a diagnosis" in reply


def test_facts_from_earlier_messages_are_not_asked_again(assistant: Assistant) -> None:
    """A fact said before the assessment (inside a knowledge question) counts too."""
    sender = "earlier-facts"
    assistant.say("I never had cancer. What are paraneoplastic syndromes?", sender=sender)
    assistant.say("should I see a doctor?", sender=sender)
    reply = agree(assistant, sender)
    slots = assistant.tracker(sender)["slots"]
    assert slots["cancer_history"] is False
    assert CANCER_QUESTION not in reply
    assert slots["requested_slot"] == "neuro_symptoms"


def test_hedged_answers_are_understood(assistant: Assistant) -> None:
    sender = "hedges"
    assistant.say("should I see a doctor?", sender=sender)
    agree(assistant, sender)
    assert assistant.tracker(sender)["slots"]["requested_slot"] == "cancer_history"
    assistant.say("I don't think so", sender=sender)
    slots = assistant.tracker(sender)["slots"]
    assert slots["cancer_history"] is False and slots["requested_slot"] == "neuro_symptoms"
    assistant.say("yes, sadly", sender=sender)
    slots = assistant.tracker(sender)["slots"]
    assert slots["neuro_symptoms"] is True and slots["requested_slot"] == "antibodies_positive"
    reply = assistant.say("nobody ever tested that", sender=sender)
    slots = assistant.tracker(sender)["slots"]
    assert slots["antibodies_positive"] is False and slots["referral_advice"] == "neurologist"
    assert "Only a doctor can make a diagnosis" in reply


def test_an_answer_with_a_fact_records_both(assistant: Assistant) -> None:
    sender = "answer-and-fact"
    assistant.say("should I see a doctor?", sender=sender)
    agree(assistant, sender)
    assistant.say("yes, lung cancer two years ago", sender=sender)
    slots = assistant.tracker(sender)["slots"]
    assert slots["cancer_history"] is True and "cancer:lung" in slots["reported_conditions"]
    assert slots["requested_slot"] == "neuro_symptoms"


def same_text(expected: str, reply: str) -> bool:
    """``expected`` is in ``reply`` (the REST channel sends each paragraph as a message)."""
    return " ".join(expected.split()) in " ".join(reply.split())


def sps_prognosis(assistant: Assistant) -> str:
    with session_scope(assistant.db_url) as session:
        return compose_answer(session, "ask_prognosis", [("syndrome", "stiff_person")], "en").text


def ask_follow_up(assistant: Assistant, sender: str, text: str) -> str:
    """Ask; if the assistant asks "Did you want to know about …?", press Yes."""
    messages = assistant.messages(text, sender=sender)
    asked = next((m for m in messages if CLARIFICATION in (m.get("text") or "")), None)
    if asked is None:
        return "\n".join(m.get("text") or "" for m in messages)
    assert "what to expect" in asked["text"]
    return assistant.say(asked["buttons"][0]["payload"], sender=sender)


def test_stiff_person_follow_up_keeps_its_topic(assistant: Assistant) -> None:
    """The issue's example: "What is stiff person syndrome?" → "Can it get better?"."""
    sender = "sps"
    assistant.say("What is stiff person syndrome?", sender=sender)
    reply = ask_follow_up(assistant, sender, "Can it get better?")
    assert same_text(sps_prognosis(assistant), reply)


def test_the_topic_survives_a_short_detour(assistant: Assistant) -> None:
    sender = "sps-detour"
    assistant.say("What is stiff person syndrome?", sender=sender)
    assistant.say("thank you", sender=sender)
    assistant.say("yes", sender=sender)
    reply = ask_follow_up(assistant, sender, "Can it get better?")
    assert same_text(sps_prognosis(assistant), reply)
