"""Conversation hygiene: disclosure at session start, feedback, handoff, fallback questions.

Handoff hook: when ``PNS_HANDOFF_WEBHOOK_URL`` is set, a request for a person POSTs
``{"conversation_id", "reason", "messages": [{"sender": "user"|"bot", "text"}]}`` (the last
20 texts) to it, so a live-agent system can take over; the bot then stays silent in that
conversation (``ConversationPaused``) until the agent system resumes it through Rasa's HTTP
API: ``POST /conversations/{id}/tracker/events?token=…`` with ``{"event": "resume"}``.
Without the variable, the user gets the centre's contact details and the same pause.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.request
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.kb_access import with_kb
from actions.knowledge import latest_confidence
from kb.answers import Composer, KnowledgeBase
from kb.contract import FALLBACK_INTENT
from kb.feedback import record_feedback, record_unanswered

logger = logging.getLogger(__name__)

HANDOFF_URL_VAR = "PNS_HANDOFF_WEBHOOK_URL"
HANDOFF_TIMEOUT_S = 5.0
TRANSCRIPT_LENGTH = 20

#: How the fallback question names what the user probably meant (keys: kb.contract.INTENTS;
#: an intent without a label gets "please rephrase" instead).
INTENT_LABELS: dict[str, str] = {
    "ask_pns_overview": "what paraneoplastic neurological syndromes are",
    "ask_cause": "why these syndromes happen",
    "ask_syndrome": "a particular syndrome",
    "ask_symptoms": "symptoms",
    "ask_antibodies": "antibodies and test results",
    "ask_tests": "tests and examinations",
    "ask_treatment": "treatment",
    "ask_cancer_link": "the link with cancer",
    "ask_prognosis": "what to expect (outlook)",
    "ask_referral_centre": "where to get examined",
    "inform_condition": "your (or a relative's) situation",
    "ask_should_see_doctor": "whether to see a doctor",
    "request_human": "talking to a person",
    "ask_capabilities": "what I can do",
}


class ActionSessionStart(Action):
    """Start every conversation with the disclosure: automated assistant, not a diagnosis."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        # carry over what the user told us (session_config.carry_over_slots_to_new_session)
        events += [
            SlotSet(name, value)
            for name, value in tracker.slots.items()
            if value is not None and name not in {"requested_slot", "session_started_metadata"}
        ]
        dispatcher.utter_message(response="utter_disclosure")
        events.append(ActionExecuted("action_listen"))
        return events


_NOT_HELPFUL = re.compile(r"\b(not|n't|didn'?t|useless|unhelpful|no)\b")


def feedback_from_text(text: str) -> str:
    """A typed answer to "Was this helpful?": "no" if it is negative, else "yes"."""
    return "no" if _NOT_HELPFUL.search(text.lower()) else "yes"


class ActionRecordFeedback(Action):
    """Store "Was this helpful?" against the answers it refers to."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        value = next(tracker.get_latest_entity_values("helpful"), None) or feedback_from_text(
            tracker.latest_message.get("text") or ""
        )
        context = tracker.get_slot("knowledge_context") or {}
        if value not in ("yes", "no") or not context.get("intent"):
            dispatcher.utter_message(response="utter_anything_else")
            return []
        with_kb(
            lambda session: record_feedback(
                session,
                context["intent"],
                context.get("answer_ids") or [],
                [tuple(e) for e in context.get("entities") or []],
                helpful=value == "yes",
            ),
            "could not store feedback",
        )
        dispatcher.utter_message(
            response="utter_feedback_thanks" if value == "yes" else "utter_feedback_sorry"
        )
        return []


def transcript(tracker: Tracker, limit: int = TRANSCRIPT_LENGTH) -> list[dict[str, str]]:
    texts = [
        {"sender": "user" if e["event"] == "user" else "bot", "text": e.get("text") or ""}
        for e in tracker.events
        if e.get("event") in ("user", "bot") and e.get("text")
    ]
    return texts[-limit:]


def notify_live_agent(
    conversation_id: str, messages: list[dict[str, str]], url: str | None = None
) -> bool:
    """POST the handoff to the configured live-agent system; False if none or it failed."""
    url = url or os.environ.get(HANDOFF_URL_VAR)
    if not url:
        return False
    body = json.dumps(
        {"conversation_id": conversation_id, "reason": "request_human", "messages": messages}
    ).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=HANDOFF_TIMEOUT_S) as response:
            return 200 <= response.status < 300
    except OSError:
        logger.exception("live-agent hook at %s failed", url)
        return False


class ActionHandoff(Action):
    """A person is asked for: the centre's contacts, the live-agent hook, then a pause."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        notified = notify_live_agent(tracker.sender_id, transcript(tracker))
        reply = with_kb(lambda session: Composer(KnowledgeBase(session)).handoff(notified))
        if reply is not None and reply.paragraphs:
            dispatcher.utter_message(text=reply.text)
        else:
            dispatcher.utter_message(response="utter_kb_unavailable")
        # A paused conversation never reaches Rasa's own action_listen; without it Rasa's
        # built-in /restart rule (which needs "last action = listen") cannot fire.
        return [ConversationPaused(), ActionExecuted("action_listen")]


class ActionAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you want to know about …?" (Yes / No).

    The unclear message is stored for staff (redacted, no sender id).
    """

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ranking = [
            r
            for r in tracker.latest_message.get("intent_ranking") or []
            if r.get("name") != FALLBACK_INTENT
        ]
        best = ranking[0] if ranking else {}
        with_kb(
            lambda session: record_unanswered(
                session,
                tracker.latest_message.get("text") or "",
                "low_confidence",
                best.get("name"),
                best.get("confidence", latest_confidence(tracker)),
            ),
            "could not store the unanswered question",
        )
        label = INTENT_LABELS.get(best.get("name", ""))
        if not label:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        entities = {
            e["entity"]: e["value"]
            for e in tracker.latest_message.get("entities") or []
            if e.get("value")
        }
        payload = f"/{best['name']}" + (json.dumps(entities) if entities else "")
        dispatcher.utter_message(
            text=f"Sorry, I'm not sure I understood. Did you want to know about {label}?",
            buttons=[
                {"title": "Yes", "payload": payload},
                {"title": "No", "payload": "/out_of_scope"},
            ],
        )
        return []
