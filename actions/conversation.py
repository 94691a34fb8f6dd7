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

from actions.emergency import configured_numbers
from actions.kb_access import conversation_language, with_kb
from actions.knowledge import latest_confidence
from actions.language import choose_language
from actions.privacy import send_notice
from actions.responses import render_response, response_text
from kb.answers import Composer, KnowledgeBase
from kb.contract import FALLBACK_INTENT
from kb.feedback import record_feedback, record_unanswered
from kb.privacy import conversation_key

logger = logging.getLogger(__name__)

HANDOFF_URL_VAR = "PNS_HANDOFF_WEBHOOK_URL"
HANDOFF_TIMEOUT_S = 5.0
TRANSCRIPT_LENGTH = 20

#: Metadata key a channel sets when it opens a conversation without a message (the widget,
#: as soon as it connects): the disclosure is then sent at once, in the ``lang`` hint's language.
SESSION_REQUEST = "session_request"
#: Slots a new session does not take over from the previous one.
NOT_CARRIED = {"requested_slot", "session_started_metadata", "disclosure_pending"}


def last_user_event(tracker: Tracker) -> dict[str, Any]:
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def earlier_user_messages(tracker: Tracker) -> int:
    """User messages of the conversation before the latest one (all sessions)."""
    return max(0, sum(1 for e in tracker.events if e.get("event") == "user") - 1)


def send_welcome(dispatcher: CollectingDispatcher, domain: dict[str, Any], lang: str) -> None:
    """The first messages of every conversation, in ``lang``: the disclosure (automated
    assistant, not a doctor; the emergency numbers of the KB settings, 112/103 if it is down)
    and the short privacy notice from the KB."""
    dispatcher.utter_message(
        **render_response(domain, "utter_disclosure", lang, **configured_numbers())
    )
    send_notice(dispatcher, lang)


class ActionSessionStart(Action):
    """Start every conversation with the disclosure: automated assistant, not a diagnosis.

    In the conversation's language. Rasa runs this action *before* it reads the message that
    opened the session (``MessageProcessor.log_message``: ``fetch_tracker_and_update_session``,
    then ``parse_message``), so it cannot know that message's language. Hence:

    - a channel that opens the conversation without a message (the widget on connect) marks
      its metadata with :data:`SESSION_REQUEST`: the disclosure goes now, in the language the
      conversation already had, else the channel's ``lang`` hint, else Russian;
    - otherwise a message is about to be read: ``disclosure_pending`` is set, and
      :class:`ActionSetLanguage` sends the disclosure in that message's language before
      anything else is answered.
    """

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
            if value is not None and name not in NOT_CARRIED
        ]
        metadata = tracker.get_slot("session_started_metadata") or {}
        had_messages = any(e.get("event") == "user" for e in tracker.events)
        lang = choose_language(
            "", tracker.get_slot("language") if had_messages else None, metadata.get("lang")
        )
        events.append(SlotSet("language", lang))
        if metadata.get(SESSION_REQUEST):
            send_welcome(dispatcher, domain, lang)
        else:
            events.append(SlotSet("disclosure_pending", True))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionSetLanguage(Action):
    """Decides the conversation's language on every user message (the ``language`` slot).

    Where it runs: it is the project's ``action_validate_slot_mappings``, which Rasa's
    ``action_extract_slots`` calls after NLU and before any other action of the turn, on every
    user message (also mid-form and in a paused conversation), so every reply of the turn
    sees the new value. Not a custom slot mapping's ``action``: Rasa 3.6 drops the messages
    such an action sends (``ActionExtractSlots._execute_validation_action`` keeps only its
    ``SlotSet`` events), and the disclosure is sent from here; the validation action's own
    messages are kept and sent. Chosen over an NLU component because the decision needs the
    conversation (its current language, whether this is its first message, the channel's
    hint in the message metadata), which NLU does not see, and because the disclosure of a
    conversation opened by a message must be sent here, once the message's language is known
    (see :class:`ActionSessionStart`). The decision itself is the pure
    :func:`actions.language.choose_language`.

    Only ``SlotSet`` and bot messages are allowed here (action_extract_slots drops other
    events).
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        metadata = last_user_event(tracker).get("metadata") or {}
        current = tracker.get_slot("language")
        lang = choose_language(
            message.get("text") or "",
            current if earlier_user_messages(tracker) else None,
            metadata.get("lang") if isinstance(metadata, dict) else None,
            next(tracker.get_latest_entity_values("language"), None),
            switch=(message.get("intent") or {}).get("name") == "change_language",
        )
        events: list[EventType] = []
        if tracker.get_slot("disclosure_pending"):
            send_welcome(dispatcher, domain, lang)
            events.append(SlotSet("disclosure_pending", None))
        if lang != current:
            events.append(SlotSet("language", lang))
        return events


_NOT_HELPFUL = re.compile(r"\b(not|n't|didn'?t|useless|unhelpful|no|не|нет|ни|бесполезн\w*)\b")


def feedback_from_text(text: str) -> str:
    """A typed answer to "Was this helpful?" (either language): "no" if negative, else "yes"."""
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
                conversation_key=conversation_key(tracker.sender_id),
                lang=conversation_language(tracker),
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
        lang = conversation_language(tracker)
        reply = with_kb(lambda session: Composer(KnowledgeBase(session), lang).handoff(notified))
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
                conversation_key=conversation_key(tracker.sender_id),
                lang=conversation_language(tracker),
            ),
            "could not store the unanswered question",
        )
        topic = f"utter_topic_{best.get('name', '')}"
        if topic not in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        entities = {
            e["entity"]: e["value"]
            for e in tracker.latest_message.get("entities") or []
            if e.get("value") and e.get("entity") != "language"
        }
        payload = f"/{best['name']}" + (json.dumps(entities) if entities else "")
        dispatcher.utter_message(
            response="utter_ask_affirmation",
            topic=response_text(domain, topic, conversation_language(tracker)),
            payload=payload,
        )
        return []
