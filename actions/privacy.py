"""Privacy in the conversation: the short notice, consent before the assessment, erasure.

- The first message of every conversation is followed by the short privacy notice (KB
  phrases ``privacy.notice`` and ``privacy.operator``; the operator's name and contact are
  the KB settings ``privacy_operator_name`` / ``privacy_operator_contact``).
- The referral form's first slot is ``privacy_consent`` (:mod:`actions.referral_form`): it is
  asked by :class:`ActionAskPrivacyConsent` with the KB's consent question and the buttons of
  the ``utter_ask_privacy_consent`` response; the decision is recorded per conversation
  (KB table ``consent``, with its time and the notice version).
- "Withdraw consent" and "delete my conversation" run :class:`ActionWithdrawConsent` /
  :class:`ActionEraseConversation`: they clear the KB rows of the conversation here, and the
  tracker store erases its stored events when it saves this turn
  (:data:`bot.tracker_store.ERASING_ACTIONS`).

Texts are chosen by the conversation's language (slot ``language``, ``ru`` when unset).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.kb_access import conversation_language, kb_session
from actions.language import EXTERNAL_PREFIX
from actions.responses import render_response
from actions.understanding import NO, YES, answer_kind
from kb.answers import Composer, KnowledgeBase, Reply
from kb.errors import MissingText
from kb.privacy import (
    DEFAULT_NOTICE_VERSION,
    NOTICE_VERSION_SETTING,
    conversation_key,
    erase_conversation,
    erase_rows,
    record_consent,
)
from kb.settings import settings_environ

logger = logging.getLogger(__name__)

CONSENT_SLOT = "privacy_consent"
#: The assessment's answers: cleared when consent is withdrawn.
ASSESSMENT_SLOTS = (
    "cancer_history",
    "neuro_symptoms",
    "antibodies_positive",
    "reported_conditions",
    "referral_advice",
    "assessment_stopped",
    CONSENT_SLOT,
)
DEFAULT_RETENTION_DAYS = 30


def utter_variation(
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    name: str,
    lang: str,
    text: str | None = None,
) -> None:
    """Send response ``name`` in ``lang``; ``text`` (from the KB) replaces its text."""
    message = render_response(domain, name, lang)
    dispatcher.utter_message(text=text or message["text"], buttons=message.get("buttons") or [])


_CONSENT_YES = re.compile(
    r"^\s*(i\s+)?(agree|consent|accept)\b"
    r"|^\s*(согласен|согласна|согласны|даю согласие|да\b|конечно|хорошо|ок\b|ладно|разрешаю)",
    re.IGNORECASE,
)
_CONSENT_NO = re.compile(
    r"^\s*(no,?\s+thanks?|no thank you|i\s+(do not|don'?t)\s+(agree|consent)|decline|refuse)\b"
    r"|^\s*(нет|не согласен|не согласна|не хочу|не даю|отказываюсь)",
    re.IGNORECASE,
)


def consent_answer(text: str) -> str | None:
    """YES or NO for an answer to the consent question (button or typed, en/ru), else None.

    Anything unclear is None, and the question is asked again: consent must be explicit.
    """
    stripped = text.strip()
    if stripped.startswith("/"):
        return {"/affirm": YES, "/deny": NO}.get(stripped.split("{")[0])
    if _CONSENT_NO.search(stripped):
        return NO
    if _CONSENT_YES.search(stripped):
        return YES
    kind = answer_kind(stripped)
    return kind if kind in (YES, NO) else None


def retention_days() -> int:
    try:
        return int(float(settings_environ().get("PNS_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS))
    except ValueError:
        return DEFAULT_RETENTION_DAYS


def notice_version(kb: KnowledgeBase) -> str:
    return kb.setting(NOTICE_VERSION_SETTING, DEFAULT_NOTICE_VERSION)


def compose_notice(kb: KnowledgeBase, days: int, lang: str) -> Reply:
    """The short notice: what is stored, why, how long, and who the operator is."""
    composer = Composer(kb, lang)
    reply = composer.new_reply()
    composer.add_phrase(reply, "privacy.notice", days=str(days))
    operator = kb.setting("privacy_operator_name", "").strip()
    contact = kb.setting("privacy_operator_contact", "").strip()
    if operator and contact:
        composer.add_phrase(reply, "privacy.operator", operator=operator, contact=contact)
    else:
        composer.add_phrase(reply, "privacy.operator_missing")
    return reply


def compose_consent_question(kb: KnowledgeBase, days: int, channel: str | None, lang: str) -> Reply:
    composer = Composer(kb, lang)
    reply = composer.new_reply()
    if channel == "telegram":
        composer.add_phrase(reply, "privacy.telegram_warning")
    composer.add_phrase(
        reply, "privacy.consent_question", days=str(days), version=notice_version(kb)
    )
    return reply


def send_notice(dispatcher: CollectingDispatcher, lang: str) -> None:
    """The short notice as its own message (nothing if the KB cannot be read)."""
    try:
        with kb_session() as session:
            reply = compose_notice(KnowledgeBase(session), retention_days(), lang)
    except (SQLAlchemyError, MissingText):
        logger.exception("knowledge base unavailable; no privacy notice this time")
        return
    if reply.paragraphs:
        dispatcher.utter_message(text=reply.text)


def store_consent(tracker: Tracker, status: str) -> None:
    """Record the decision; a database error is logged (the answer still counts this turn)."""
    try:
        with kb_session() as session:
            version = notice_version(KnowledgeBase(session))
            record_consent(session, conversation_key(tracker.sender_id), status, version)
    except SQLAlchemyError:
        logger.exception("could not record the consent decision")


class ActionAskPrivacyConsent(Action):
    """The referral form's question for ``privacy_consent``: asked before any health question."""

    def name(self) -> str:
        return f"action_ask_{CONSENT_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = conversation_language(tracker)
        text = None
        try:
            with kb_session() as session:
                reply = compose_consent_question(
                    KnowledgeBase(session),
                    retention_days(),
                    tracker.get_latest_input_channel(),
                    lang,
                )
                text = reply.text if reply.paragraphs else None
        except (SQLAlchemyError, MissingText):
            logger.exception("knowledge base unavailable; consent question from the domain")
        utter_variation(dispatcher, domain, f"utter_ask_{CONSENT_SLOT}", lang, text)
        return []


def _erase_kb_rows(tracker: Tracker) -> bool:
    try:
        with kb_session() as session:
            erase_conversation(session, conversation_key(tracker.sender_id))
        return True
    except SQLAlchemyError:
        logger.exception("could not erase the conversation's KB rows")
        return False


#: The button payload that confirms an erasure (the widget's "Delete" button after its own
#: confirmation dialog, and the "Yes, delete" button of ``utter_confirm_erasure``).
ERASURE_PAYLOAD = "/request_erasure"
#: The same intent triggered through Rasa's token-protected HTTP API (``trigger_intent``):
#: the staff command ``python -m bot privacy erase`` on an in-memory tracker store.
ERASURE_TRIGGERED = f"{EXTERNAL_PREFIX}request_erasure"


def erasure_confirmed(text: str | None) -> bool:
    """Whether the message that asked for erasure is a confirmed request, not typed words.

    Erasing cannot be undone, and a typed request is understood by a statistical model: a
    message that only looks like one ("DELETE FROM answers") must not wipe a conversation.
    Typed requests are therefore asked back with a button; the button's payload erases, as
    does the intent triggered by staff through the authenticated HTTP API.
    """
    return (text or "").strip().split("{")[0] in (ERASURE_PAYLOAD, ERASURE_TRIGGERED)


class ActionEraseConversation(Action):
    """ "Delete my conversation": KB rows now, the stored events when the turn is saved
    (after the confirming button; a typed request is asked back first)."""

    def name(self) -> str:
        return "action_erase_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = conversation_language(tracker)
        if not erasure_confirmed(tracker.latest_message.get("text")):
            utter_variation(dispatcher, domain, "utter_confirm_erasure", lang)
            return []
        done = _erase_kb_rows(tracker)
        utter_variation(
            dispatcher,
            domain,
            "utter_conversation_erased" if done else "utter_erasure_failed",
            lang,
        )
        # mid-form, the rule has deactivated the form (action_deactivate_loop) before this
        return [SlotSet(slot, None) for slot in ASSESSMENT_SLOTS]


class ActionWithdrawConsent(Action):
    """ "Withdraw consent": stop the assessment, forget its answers, record the withdrawal."""

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = conversation_language(tracker)
        try:
            with kb_session() as session:
                # the withdrawal stays on record; what the conversation left in the KB goes
                key = conversation_key(tracker.sender_id)
                erase_rows(session, key)
                record_consent(session, key, "withdrawn", notice_version(KnowledgeBase(session)))
        except SQLAlchemyError:
            logger.exception("could not erase the conversation's KB rows")
        utter_variation(dispatcher, domain, "utter_consent_withdrawn", lang)
        # mid-form, the rule has deactivated the form (action_deactivate_loop) before this
        return [SlotSet(slot, None) for slot in ASSESSMENT_SLOTS]
