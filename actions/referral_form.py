"""The referral assessment as a Rasa form: ``referral_form`` + its validation + the advice.

The form's slots are filled from what the user says (entities in a report, or yes/no/"I don't
know" answers to the question asked), and the form asks only what the decision in
:mod:`actions.referral` still needs. A red flag at any point ends it with emergency advice.

Consent comes first (issue "Privacy by design"): until the patient has agreed
(``privacy_consent``), the form asks nothing personal and keeps no health fact, not even one
stated in the message that started it; once they agree, that message is read for its facts.
Declining ends the form with what the patient can do instead.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.facts import UserMessage, history_facts, mentioned_items, message_facts, user_messages
from actions.kb_access import conversation_language, with_kb
from actions.knowledge import red_flag_of, send_emergency_advice
from actions.privacy import CONSENT_SLOT, consent_answer, store_consent
from actions.referral import EMERGENCY, FACT_SLOTS, NO_REFERRAL, Facts, decide, next_question
from actions.understanding import (
    NO,
    UNKNOWN,
    YES,
    answer_kind,
    has_red_flag,
    is_negated,
    wants_to_stop,
)
from kb.answers import Composer, KnowledgeBase, Reply
from kb.contract import DIGRESSION_INTENTS, REPORTING_INTENTS

FORM = "referral_form"
# kb.contract: a DIGRESSION intent mid-form is answered by its rule (this turn of the form
# is rejected); the entities of a REPORTING intent are facts about the user.
#: Which fact an entity kind reports, when the user tells us about themselves or a relative.
FACT_OF_KIND = {
    "cancer": "cancer_history",
    "symptom": "neuro_symptoms",
    "antibody": "antibodies_positive",
}
ANSWER_VALUE = {YES: True, NO: False, UNKNOWN: False}  # "I don't know" counts as not found


def facts_from_tracker(tracker: Tracker) -> Facts:
    return Facts(**{slot: tracker.get_slot(slot) for slot in FACT_SLOTS})


def extract_facts(
    intent: str | None, text: str, entities: list[dict[str, Any]], requested_slot: str | None
) -> tuple[dict[str, bool], list[str]]:
    """Facts stated in one message, and the ``kind:id`` items it reported (for the advice).

    A report (or an answer) is read twice: entity by entity, as before, so that a question
    that carries facts ("should my dad with lung cancer see a doctor?") still counts; then
    clause by clause (:mod:`actions.facts`), which also hears the words that are not
    entities ("never had cancer", "antibodies were negative", "no symptoms at all") and
    wins where both speak. Questions that only mention a thing state nothing.
    """
    facts: dict[str, bool] = {}
    mentioned: list[str] = []
    statement = UserMessage(text, tuple(entities), intent)
    if intent in REPORTING_INTENTS or requested_slot:
        if intent not in REPORTING_INTENTS and requested_slot is not None:
            reporting = answer_kind(text) is not None or bool(message_facts(statement))
        else:
            reporting = True
        for entity in entities if reporting else []:
            slot = FACT_OF_KIND.get(entity.get("entity", ""))
            if slot is None or entity.get("value") is None:
                continue
            negated = is_negated(text, int(entity.get("start") or 0), int(entity.get("end") or 0))
            facts[slot] = facts.get(slot, False) or not negated
            if not negated:
                mentioned.append(f"{entity['entity']}:{entity['value']}")
        if reporting:
            facts.update(message_facts(statement))
            mentioned += [m for m in mentioned_items(statement) if m not in mentioned]
    if requested_slot in FACT_SLOTS and requested_slot not in facts:
        kind = answer_kind(text)
        if kind is not None:
            facts[requested_slot] = ANSWER_VALUE[kind]
    return facts, mentioned


class ValidateReferralForm(FormValidationAction):
    """Fills the assessment's facts from each message and decides what to ask next."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("referral_advice") == EMERGENCY or tracker.get_slot(
            "assessment_stopped"
        ):
            return []
        consent = tracker.get_slot(CONSENT_SLOT)
        if consent is not True:  # nothing personal before consent; declined: the form ends
            return [] if consent is False else [CONSENT_SLOT]
        slot = next_question(facts_from_tracker(tracker))
        return [slot] if slot else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Extract, then ask the next question; every extracted fact is kept.

        (rasa-sdk's default would keep only slots still in ``required_slots``, and ours
        shrink as facts arrive, so facts stated in passing would be lost.)
        """
        starting = tracker.get_slot("requested_slot") is None
        events: list[EventType] = []
        if starting:  # a new assessment: forget the outcome of an earlier one
            events += [SlotSet("referral_advice", None), SlotSet("assessment_stopped", None)]
            if tracker.get_slot(CONSENT_SLOT) is False:  # declined last time: ask again
                events.append(SlotSet(CONSENT_SLOT, None))
            elif tracker.get_slot(CONSENT_SLOT) is True:  # agreed earlier: what was said counts
                events += earlier_facts(tracker)
            tracker.add_slots(events)
        extracted = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extracted)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        if (
            next_slot is not None
            and next_slot.get("value") not in (None, CONSENT_SLOT)
            and (starting or tracker.get_slot("requested_slot") == CONSENT_SLOT)
        ):
            dispatcher.utter_message(response="utter_assessment_intro")
        return events + extracted + ([next_slot] if next_slot else [])

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Read the latest message once, for all facts (a report can answer several at once)."""
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        # the words of a red flag win over everything; a plain "stop" wins over a predicted
        # emergency intent (short messages like "stop" are sometimes misread as one)
        if has_red_flag(text) or (
            intent == "report_emergency" and not (requested and wants_to_stop(text))
        ):
            kind, lang = red_flag_of(tracker)
            await send_emergency_advice(dispatcher, kind, lang)
            return [SlotSet("referral_advice", EMERGENCY)]
        if requested and wants_to_stop(text):
            return [SlotSet("assessment_stopped", True)]
        if tracker.get_slot(CONSENT_SLOT) is not True:
            return self.consent_events(tracker, text, intent, requested)
        facts, mentioned = extract_facts(intent, text, message.get("entities") or [], requested)
        if requested and not facts and intent not in DIGRESSION_INTENTS:
            # not an answer we understand, and not a question: ask again rather than guess
            dispatcher.utter_message(response="utter_answer_not_understood")
            return [SlotSet(requested, None)]
        return fact_events(tracker, facts, mentioned)

    def consent_events(
        self, tracker: Tracker, text: str, intent: str | None, requested: str | None
    ) -> list[EventType]:
        """Before consent: only the answer to the consent question counts."""
        if requested != CONSENT_SLOT:
            return []  # the message that starts the form: its facts wait for consent
        answer = consent_answer(text)
        if answer is None:
            # a question in between is answered by its rule; anything else: ask again
            return [] if intent in DIGRESSION_INTENTS else [SlotSet(CONSENT_SLOT, None)]
        if answer != YES:
            store_consent(tracker, "declined")
            return [SlotSet(CONSENT_SLOT, False)]
        store_consent(tracker, "given")
        events: list[EventType] = [SlotSet(CONSENT_SLOT, True)]
        # what the patient said before agreeing (the message that started the assessment, and
        # anything earlier in the conversation) is read only now
        events += earlier_facts(tracker)
        return events


def fact_events(tracker: Tracker, facts: dict[str, bool], mentioned: list[str]) -> list[EventType]:
    events: list[EventType] = [SlotSet(slot, value) for slot, value in facts.items()]
    if mentioned:
        known = list(tracker.get_slot("reported_conditions") or [])
        events.append(
            SlotSet("reported_conditions", known + [m for m in mentioned if m not in known])
        )
    return events


def _reported_names(composer: Composer, reported: list[str]) -> list[str]:
    names = []
    for item in reported:
        kind, _, key = item.partition(":")
        entity = composer.kb.entity(kind, key)
        if entity is not None:  # an id the KB lacks is left out, never shown raw
            names.append(composer.name(entity))
    return names


def compose_advice(
    kb: KnowledgeBase, facts: Facts, advice: str | None, reported: list[str], lang: str
) -> Reply:
    """Why, what to do, where (centre from the KB, only filled fields) and the doctor caveat.

    In ``lang``; a text missing in ``lang`` raises :class:`~kb.errors.MissingText`."""
    composer = Composer(kb, lang)
    reply = composer.new_reply()
    names = _reported_names(composer, reported)
    if names:
        composer.add_phrase(reply, "referral.mentioned", items=", ".join(names))
    if advice is None:
        composer.add_phrase(reply, "referral.stopped")
    else:
        if advice == "neuromuscular_centre":
            reason = (
                "referral.reason.antibodies"
                if facts.antibodies_positive
                else "referral.reason.cancer_symptoms"
            )
            composer.add_phrase(reply, reason)
        composer.add_phrase(reply, f"referral.{advice}", centre=composer.centre_name())
    composer.add_phrase(reply, "advice.doctor")
    if advice != NO_REFERRAL:
        composer.add_centre(reply)
    return reply


class ActionReferralAdvice(Action):
    """Ends the assessment: sets ``referral_advice`` and explains it."""

    def name(self) -> str:
        return "action_referral_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("referral_advice") == EMERGENCY:
            return []  # the emergency advice was given in this assessment; nothing may dilute it
        if tracker.get_slot(CONSENT_SLOT) is False and not tracker.get_slot("assessment_stopped"):
            return self.without_consent(dispatcher, conversation_language(tracker))
        facts = facts_from_tracker(tracker)
        advice = None if tracker.get_slot("assessment_stopped") else decide(facts)
        reported = list(tracker.get_slot("reported_conditions") or [])
        lang = conversation_language(tracker)
        reply = with_kb(lambda s: compose_advice(KnowledgeBase(s), facts, advice, reported, lang))
        if reply is None:
            dispatcher.utter_message(response="utter_kb_unavailable")
        else:
            dispatcher.utter_message(text=reply.text)
        return [SlotSet("referral_advice", advice), SlotSet("assessment_stopped", None)]

    def without_consent(self, dispatcher: CollectingDispatcher, lang: str) -> list[dict[str, Any]]:
        """Declined: no assessment; general questions, the centre and the doctor instead."""

        def compose(session: Session) -> Reply:
            composer = Composer(KnowledgeBase(session), lang)
            reply = composer.new_reply()
            composer.add_phrase(reply, "privacy.consent_declined", centre=composer.centre_name())
            composer.add_centre(reply)
            return reply

        reply = with_kb(compose)
        if reply is None:
            dispatcher.utter_message(response="utter_kb_unavailable")
            return [SlotSet("referral_advice", None), SlotSet("assessment_stopped", None)]
        dispatcher.utter_message(text=reply.text)
        return [SlotSet("referral_advice", None), SlotSet("assessment_stopped", None)]


def earlier_facts(tracker: Tracker) -> list[EventType]:
    """Slots for the facts stated before the assessment began, still unknown in the tracker.

    Everything the user said earlier in the conversation counts ("I never had cancer" three
    messages ago), except the current message, which the extraction reads as usual. Reverted
    messages (the two-stage fallback's) are not counted: ``applied_events``.
    """
    events = tracker.applied_events()
    last_user = max((n for n, e in enumerate(events) if e.get("event") == "user"), default=0)
    earlier = user_messages(events[:last_user])
    facts = history_facts(earlier)
    slots: list[EventType] = [
        SlotSet(slot, value)
        for slot, value in facts.items()
        if slot in FACT_SLOTS and tracker.get_slot(slot) is None
    ]
    items = [item for message in earlier for item in mentioned_items(message)]
    known = list(tracker.get_slot("reported_conditions") or [])
    new = [item for item in dict.fromkeys(items) if item not in known]
    if new:
        slots.append(SlotSet("reported_conditions", known + new))
    return slots
