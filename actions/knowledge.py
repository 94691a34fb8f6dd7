"""Answers to knowledge questions, read from the KB at answer time (no retraining needed)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.kb_access import kb_session
from kb.answers import DEFAULT_EMERGENCY_NUMBER, KnowledgeBase, compose_answer, emergency_number

logger = logging.getLogger(__name__)


def message_entities(tracker: Tracker) -> List[Tuple[str, str]]:
    """``(kind, canonical id)`` pairs of the latest user message, in order of appearance."""
    found = sorted(tracker.latest_message.get("entities") or [], key=lambda e: e.get("start") or 0)
    return [(str(e["entity"]), str(e["value"])) for e in found if e.get("entity") and e.get("value")]


class ActionAnswerKnowledge(Action):
    """Answer a knowledge intent (``ask_*``) from the KB, for the entities the user named."""

    def name(self) -> Text:
        return "action_answer_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = tracker.get_intent_of_latest_message() or ""
        try:
            with kb_session() as session:
                reply = compose_answer(session, intent, message_entities(tracker))
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(response="utter_kb_unavailable")
            return []
        dispatcher.utter_message(text=reply.text)
        return []


class ActionEmergency(Action):
    """Red flag: tell the user to call the emergency number first, nothing else before it."""

    def name(self) -> Text:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        number, text = DEFAULT_EMERGENCY_NUMBER, None
        try:
            with kb_session() as session:
                number = emergency_number(session)
                phrase = KnowledgeBase(session).phrase("emergency.advice")
                text = phrase.text.format(number=number) if phrase else None
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable; emergency advice from the domain")
        if text:
            dispatcher.utter_message(text=text)
        else:  # the safety message must never depend on the database being up
            dispatcher.utter_message(response="utter_emergency_fallback", number=number)
        return [SlotSet("referral_advice", "emergency")]
