"""Answers to knowledge questions and emergency advice, read from the KB at answer time.

A staff edit shows up in the next answer without retraining. Follow-up questions use the
previous question's topic (kept in the ``knowledge_context`` slot); a red flag inside any
question gets the emergency advice first.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.kb_access import with_kb
from actions.understanding import has_red_flag, resolve_follow_up
from kb.answers import (
    DEFAULT_EMERGENCY_NUMBER,
    KnowledgeBase,
    Reply,
    compose_answer,
    emergency_number,
)
from kb.contract import FEEDBACK_INTENT
from kb.feedback import record_unanswered


def message_entities(tracker: Tracker) -> list[tuple[str, str]]:
    """``(kind, canonical id)`` pairs of the latest user message, in order of appearance."""
    found = sorted(tracker.latest_message.get("entities") or [], key=lambda e: e.get("start") or 0)
    return [
        (str(e["entity"]), str(e["value"])) for e in found if e.get("entity") and e.get("value")
    ]


def user_turns(tracker: Tracker) -> int:
    """How many user messages the conversation has had (the current one included)."""
    return sum(1 for event in tracker.events if event.get("event") == "user")


def feedback_buttons() -> list[dict[str, str]]:
    return [
        {"title": "Yes", "payload": f"/{FEEDBACK_INTENT}{json.dumps({'helpful': 'yes'})}"},
        {"title": "No", "payload": f"/{FEEDBACK_INTENT}{json.dumps({'helpful': 'no'})}"},
    ]


async def send_emergency_advice(dispatcher: CollectingDispatcher) -> str:
    """Tell the user to call the emergency number (from the KB; works without the KB too)."""

    def read(session: Session) -> tuple[str, str | None]:
        number = emergency_number(session)
        phrase = KnowledgeBase(session).phrase("emergency.advice")
        return number, phrase.text.format(number=number) if phrase else None

    number, text = with_kb(
        read, "knowledge base unavailable; emergency advice from the domain"
    ) or (DEFAULT_EMERGENCY_NUMBER, None)
    if text:
        dispatcher.utter_message(text=text)
    else:  # the safety message must never depend on the database being up
        dispatcher.utter_message(response="utter_emergency_fallback", number=number)
    return number


class ActionAnswerKnowledge(Action):
    """Answer a knowledge question (``kb.contract.KNOWLEDGE_INTENTS``) from the KB."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        events: list[EventType] = []
        if has_red_flag(text):
            await send_emergency_advice(dispatcher)
            events.append(SlotSet("referral_advice", "emergency"))
        turn = user_turns(tracker)
        context: dict[str, Any] = tracker.get_slot("knowledge_context") or {}
        recent = context.get("turn") == turn - 1  # the previous message was that question
        intent, entities = resolve_follow_up(
            (message.get("intent") or {}).get("name") or "",
            message_entities(tracker),
            text,
            context.get("intent") if recent else None,
            [tuple(e) for e in context.get("entities") or []],
        )

        def answer(session: Session) -> Reply:
            reply = compose_answer(session, intent, entities)
            if reply.unknown or not reply.answer_ids:
                reason = "unknown_entity" if reply.unknown else "no_answer"
                confidence = (message.get("intent") or {}).get("confidence")
                record_unanswered(session, text, reason, intent, confidence)
            return reply

        reply = with_kb(answer)
        if reply is None:
            dispatcher.utter_message(response="utter_kb_unavailable")
            return events
        dispatcher.utter_message(text=reply.text)
        if reply.answer_ids or reply.paragraphs:
            dispatcher.utter_message(text="Was this helpful?", buttons=feedback_buttons())
        new_context = {
            "intent": intent,
            "entities": [list(e) for e in entities],
            "answer_ids": reply.answer_ids,
            "turn": turn,
        }
        return events + [SlotSet("knowledge_context", new_context)]


class ActionEmergency(Action):
    """Red flag: tell the user to call the emergency number first, nothing else before it."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        await send_emergency_advice(dispatcher)
        # mid-form, the rule follows with action_deactivate_loop: an emergency ends the questions
        return [SlotSet("referral_advice", "emergency")]


def latest_confidence(tracker: Tracker) -> float | None:
    return (tracker.latest_message.get("intent") or {}).get("confidence")
