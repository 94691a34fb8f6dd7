"""The running system: `python -m bot run` with the real action server, Rasa server and KB.

Starts the assistant exactly as `make run` does (on free ports, with a KB of its own), chats
over the REST channel, edits the KB while it runs, and stops it with SIGTERM.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from kb import review
from kb.answers import compose_answer
from kb.db import session_scope
from kb.drafts import draft_records
from kb.exchange import Record
from kb.items import LiveContent, entity_ref
from kb.models import Answer
from kb.revisions import Change
from tests.integration.running import Assistant, alive, descendants, start_assistant, stop_assistant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = start_assistant(tmp_path_factory.mktemp("running"))
    yield running
    stop_assistant(running)


QUESTIONS = [
    ("what is a paraneoplastic neurological syndrome?", "ask_pns_overview", []),
    ("what does anti-Yo mean?", "ask_antibodies", [("antibody", "yo")]),
    ("what is LEMS?", "ask_syndrome", [("syndrome", "lems")]),
]


@pytest.mark.parametrize(("text", "intent", "entities"), QUESTIONS)
def test_nlu_gives_intent_and_canonical_entity_ids(
    assistant: Assistant, text, intent, entities
) -> None:
    result = assistant.parse(text)
    assert result["intent"]["name"] == intent
    assert [(e["entity"], e["value"]) for e in result["entities"]] == entities


@pytest.mark.parametrize(("text", "intent", "entities"), QUESTIONS)
def test_questions_are_answered_from_the_knowledge_base(
    assistant: Assistant, text, intent, entities
) -> None:
    with session_scope(assistant.db_url) as session:
        expected = compose_answer(session, intent, entities).text
    reply = assistant.say(text, sender=f"patient-{intent}")
    assert expected in reply


def test_anti_yo_answer_mentions_cancer(assistant: Assistant) -> None:
    reply = assistant.say("what does anti-Yo mean?", sender="yo")
    assert "cancer" in reply.lower() and "Sources:" in reply


def test_staff_edit_shows_in_the_next_answer_without_retraining(assistant: Assistant) -> None:
    new_text = (
        "Edited while running: paraneoplastic neurological syndromes are rare immune reactions."
    )
    with session_scope(assistant.db_url) as session:
        answer = session.execute(
            select(Answer).where(Answer.intent == "ask_pns_overview", Answer.entity_id.is_(None))
        ).scalar_one()
        answer.text = new_text
    reply = assistant.say("what is a paraneoplastic neurological syndrome?", sender="edit")
    assert new_text + "\n\n" in reply


def test_a_draft_is_not_served_and_its_publication_is(assistant: Assistant) -> None:
    lems = entity_ref("syndrome", "lems")
    new_text = (
        "Reviewed while running: LEMS weakens the muscles, most of all in the hips and thighs."
    )
    with session_scope(assistant.db_url) as session:
        item = LiveContent(session).payload(lems)
        fields = {
            **item,
            "description": new_text,
            "related": [f"{k}:{i}" for k, i in item["related"]],
        }
        draft_records(session, [Record("test", lems, fields)], Change("alice", "edit"), submit=True)
    assert new_text not in assistant.say("what is LEMS?", sender="draft")
    with session_scope(assistant.db_url) as session:
        review.publish(session, [lems], "bob")
    assert new_text in assistant.say("what is LEMS?", sender="published")


def test_emergency_reply_gives_the_emergency_number(assistant: Assistant) -> None:
    assistant.say("hello", sender="emergency")
    reply = assistant.say("my husband is having a seizure that won't stop", sender="emergency")
    assert reply.startswith("This may be an emergency. Call 112")
    assert assistant.tracker("emergency")["slots"]["referral_advice"] == "emergency"


def test_first_reply_discloses_an_automated_assistant(assistant: Assistant) -> None:
    first = assistant.messages("what is LEMS?", sender="disclosure")[0]["text"]
    assert "automated assistant" in first and "cannot diagnose" in first


def test_answers_offer_feedback_buttons_that_are_stored(assistant: Assistant) -> None:
    messages = assistant.messages("what is LEMS?", sender="feedback")
    buttons = next(m["buttons"] for m in messages if m.get("buttons"))
    reply = assistant.say(buttons[1]["payload"], sender="feedback")  # "No"
    assert "Thank you for telling me" in reply
    from kb.models import Feedback

    with session_scope(assistant.db_url) as session:
        rows = session.execute(select(Feedback)).scalars().all()
    assert [(r.intent, r.entities, r.helpful) for r in rows] == [
        ("ask_syndrome", "syndrome:lems", 0)
    ]


def test_follow_up_question_uses_the_topic(assistant: Assistant) -> None:
    assistant.say("what is LEMS?", sender="follow-up")
    reply = assistant.say("and how is it treated?", sender="follow-up")
    with session_scope(assistant.db_url) as session:
        expected = compose_answer(session, "ask_treatment", [("syndrome", "lems")]).text
    assert expected in reply


def test_referral_assessment_asks_only_what_it_needs(assistant: Assistant) -> None:
    sender = "referral"
    assistant.say("hello", sender=sender)
    assistant.say("should I see a doctor?", sender=sender)
    assert assistant.tracker(sender)["slots"]["requested_slot"] == "cancer_history"
    assistant.say("yes, lung cancer in 2021", sender=sender)
    assert assistant.tracker(sender)["slots"]["requested_slot"] == "neuro_symptoms"
    question = assistant.say(
        "what does anti-Yo mean?", sender=sender
    )  # a digression: answered, form resumes
    assert "cancer" in question.lower()
    tracker = assistant.tracker(sender)
    assert tracker["active_loop"]["name"] == "referral_form"
    assert tracker["slots"]["requested_slot"] == "neuro_symptoms"
    advice = assistant.say("yes", sender=sender)
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["referral_advice"] == "neuromuscular_centre"
    assert tracker["slots"]["requested_slot"] is None
    assert "Only a doctor can make a diagnosis" in advice
    assert "Center for Neuromuscular Pathology" in advice


def test_report_with_everything_decides_at_once(assistant: Assistant) -> None:
    sender = "report"
    assistant.say("hi", sender=sender)
    advice = assistant.say("my mum has ovarian cancer and now she has double vision", sender=sender)
    assert assistant.tracker(sender)["slots"]["referral_advice"] == "neuromuscular_centre"
    assert "You told me about: Ovarian cancer, Double vision." in advice


def test_emergency_mid_assessment_comes_first_and_ends_it(assistant: Assistant) -> None:
    sender = "emergency-mid-form"
    assistant.say("hi", sender=sender)
    assistant.say("should I see a neurologist?", sender=sender)
    reply = assistant.say("I have lung cancer and now I can't breathe", sender=sender)
    assert reply.startswith("This may be an emergency. Call 112")
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["referral_advice"] == "emergency"
    assert not (tracker.get("active_loop") or {}).get("name")


def test_request_human_pauses_the_conversation(assistant: Assistant) -> None:
    sender = "handoff"
    assistant.say("hi", sender=sender)
    reply = assistant.say("I want to talk to a real person", sender=sender)
    assert "/restart" in reply
    assert assistant.tracker(sender)["paused"] is True
    assert assistant.say("hello?", sender=sender) == ""  # paused: the bot stays quiet
    assistant.say("/restart", sender=sender)
    assert assistant.tracker(sender)["paused"] is False
    assert "LEMS" in assistant.say("what is LEMS?", sender=sender)


def test_http_api_needs_the_token(assistant: Assistant) -> None:
    assert assistant.request("/status")[0] == 401
    assert assistant.request("/status?token=wrong")[0] == 401
    status, body = assistant.request(f"/status?token={assistant.token}")
    assert status == 200 and body["model_file"].startswith("pns-")


def test_sigterm_stops_the_servers_and_leaves_no_orphans(assistant: Assistant) -> None:
    children = descendants(assistant.process.pid)
    assert len(children) >= 3  # action server + Rasa server + web page server
    assistant.process.send_signal(signal.SIGTERM)
    assert assistant.process.wait(timeout=60) == 0
    time.sleep(0.5)
    assert not [pid for pid in children if alive(pid)]
