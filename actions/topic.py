"""The topic of a conversation: what a follow-up question ("can it get better?") is about.

The last knowledge answer's topic (its intent and entities, kept in the ``knowledge_context``
slot) stays until a new topic is named. A short detour does not end it: a thank-you, a yes or
no, the "Was this helpful?" buttons, or the fallback's clarification turn ("Did you want to
know about what to expect (outlook)?" → Yes). Pure functions over tracker events, so each
case is tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Entity kinds that name a topic (the "helpful" entity of the feedback buttons does not).
TOPIC_KINDS = frozenset({"antibody", "syndrome", "symptom", "cancer", "test", "treatment"})
FALLBACK_INTENT = "nlu_fallback"


def user_events(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The user messages among ``events`` (pass ``tracker.applied_events()``)."""
    return [e for e in events if e.get("event") == "user"]


def names_a_topic(event: Mapping[str, Any]) -> bool:
    """Does this user message name a KB thing (a new topic)?"""
    entities = (event.get("parse_data") or {}).get("entities") or []
    return any(e.get("entity") in TOPIC_KINDS and e.get("value") for e in entities)


def topic_is_open(events: Sequence[Mapping[str, Any]], context_turn: int | None) -> bool:
    """Whether the topic set at user message number ``context_turn`` still holds now.

    ``events`` are the applied events up to and including the current message; messages are
    counted from 1. The topic holds when no message between that one and the current one
    named a new topic.
    """
    if not context_turn:
        return False
    messages = user_events(events)
    if context_turn >= len(messages):
        return False
    between = messages[context_turn:-1]
    return not any(names_a_topic(m) for m in between)


def clarified_text(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The words behind a clarification: the message the fallback asked about.

    After "Did you want to know about …?" → Yes (a button payload such as ``/ask_prognosis``),
    the current message carries only the intent; the words ("can it get better?") are in the
    unclear message before it. None unless the current message is such a payload right after
    an unclear message.
    """
    messages = user_events(events)
    if len(messages) < 2:
        return None
    current, previous = messages[-1], messages[-2]
    text = str(current.get("text") or "")
    previous_intent = ((previous.get("parse_data") or {}).get("intent") or {}).get("name")
    if previous_intent != FALLBACK_INTENT:
        return None
    if text.startswith("/"):
        return str(previous.get("text") or "") or None
    return None


def _intent(event: Mapping[str, Any]) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")
