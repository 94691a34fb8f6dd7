"""Answers to knowledge questions and emergency advice, read from the KB at answer time.

A staff edit shows up in the next answer without retraining. Follow-up questions use the
previous question's topic (kept in the ``knowledge_context`` slot); a red flag inside any
question gets the emergency advice first.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.emergency import red_flag, reply_language
from actions.kb_access import with_kb
from actions.topic import clarified_text, topic_is_open, user_events
from actions.understanding import resolve_follow_up
from kb.answers import NUMBER_SETTINGS, Composer, KnowledgeBase, Reply, compose_answer
from kb.feedback import record_unanswered
from kb.privacy import conversation_key


def message_entities(tracker: Tracker) -> list[tuple[str, str]]:
    """``(kind, canonical id)`` pairs of the latest user message, in order of appearance."""
    found = sorted(tracker.latest_message.get("entities") or [], key=lambda e: e.get("start") or 0)
    return [
        (str(e["entity"]), str(e["value"])) for e in found if e.get("entity") and e.get("value")
    ]


def user_turns(tracker: Tracker) -> int:
    """How many user messages the conversation has had (the current one included).

    Counted over the applied events: the two-stage fallback reverts the message that answered
    its question and replays it, and the replay must not count twice.
    """
    return len(user_events(tracker.applied_events()))


async def send_emergency_advice(
    dispatcher: CollectingDispatcher, kind: str | None = None, lang: str = "en"
) -> str:
    """Tell the user to call the emergency number, plus what to do for this red flag.

    Text from the KB (``emergency.advice`` and ``emergency.<kind>``, numbers from the
    settings). If the KB cannot be read, the domain's fallback response in the reply
    language, with 112/103: the safety message never depends on the database being up.
    """

    def read(session: Session) -> tuple[dict[str, str], list[str]]:
        kb = KnowledgeBase(session)
        composer, reply = Composer(kb, lang), Reply()
        composer.add_phrase(reply, "emergency.advice")
        if kind:
            composer.add_phrase(reply, f"emergency.{kind}")
        return kb.numbers(), reply.paragraphs

    numbers, paragraphs = with_kb(
        read, "knowledge base unavailable; emergency advice from the domain"
    ) or (dict(NUMBER_SETTINGS), [])
    if paragraphs:
        dispatcher.utter_message(text="\n\n".join(paragraphs))
    else:
        # the domain's advice, in the conversation's language (the slot decides the variation)
        dispatcher.utter_message(response="utter_emergency_fallback", **numbers)
    return numbers["emergency_number"]


def red_flag_of(tracker: Tracker) -> tuple[str | None, str]:
    """The red-flag kind of the latest message and the language to answer in."""
    text = (tracker.latest_message or {}).get("text") or ""
    return red_flag(text), reply_language(tracker.slots.get("language"), text)


class ActionAnswerKnowledge(Action):
    """Answer a knowledge question (``kb.contract.KNOWLEDGE_INTENTS``) from the KB."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        return await answer_knowledge(
            dispatcher,
            tracker,
            (message.get("intent") or {}).get("name") or "",
            message_entities(tracker),
        )


async def answer_knowledge(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    intent: str,
    entities: list[tuple[str, str]],
) -> list[EventType]:
    """Answer ``intent`` about ``entities`` from the KB, in the conversation's language,
    leaning on the open topic.

    The topic of the last answer holds until a new topic is named (actions.topic), so a
    follow-up after a thank-you, a yes/no or the fallback's clarification turn keeps it.
    """
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    events: list[EventType] = []
    kind, lang = red_flag_of(tracker)
    if kind:  # normally screened into report_emergency before; kept as a second net
        await send_emergency_advice(dispatcher, kind, lang)
        events.append(SlotSet("referral_advice", "emergency"))
    applied = tracker.applied_events()
    turn = user_turns(tracker)
    context: dict[str, Any] = tracker.get_slot("knowledge_context") or {}
    open_topic = topic_is_open(applied, context.get("turn"))
    intent, entities = resolve_follow_up(
        intent,
        entities,
        clarified_text(applied) or text,
        context.get("intent") if open_topic else None,
        [tuple(e) for e in context.get("entities") or []],
    )

    def answer(session: Session) -> Reply:
        reply = compose_answer(session, intent, entities, lang)
        if reply.unknown or not reply.answer_ids:
            reason = "unknown_entity" if reply.unknown else "no_answer"
            confidence = (message.get("intent") or {}).get("confidence")
            record_unanswered(
                session,
                text,
                reason,
                intent,
                confidence,
                conversation_key=conversation_key(tracker.sender_id),
                lang=lang,
            )
        return reply

    reply = with_kb(answer)
    if reply is None:
        dispatcher.utter_message(response="utter_kb_unavailable")
        return events
    dispatcher.utter_message(text=reply.text)
    if reply.answer_ids or reply.paragraphs:
        dispatcher.utter_message(response="utter_ask_helpful")
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
        kind, lang = red_flag_of(tracker)
        await send_emergency_advice(dispatcher, kind, lang)
        # mid-form, the rule follows with action_deactivate_loop: an emergency ends the questions
        return [SlotSet("referral_advice", "emergency")]


def latest_confidence(tracker: Tracker) -> float | None:
    return (tracker.latest_message.get("intent") or {}).get("confidence")
