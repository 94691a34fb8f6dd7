"""The referral assessment as a Rasa form: ``referral_form`` + its validation + the advice.

The form's slots are filled from what the user says (entities in a report, or yes/no/"I don't
know" answers to the question asked), and the form asks only what the decision in
:mod:`actions.referral` still needs. A red flag at any point ends it with emergency advice.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.kb_access import with_kb
from actions.knowledge import send_emergency_advice
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
from kb.answers import Composer, KnowledgeBase, Reply, display_name
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
    """Facts stated in one message, and the ``kind:id`` items it reported (for the advice)."""
    facts: dict[str, bool] = {}
    mentioned: list[str] = []
    if intent in REPORTING_INTENTS or requested_slot:
        if intent not in REPORTING_INTENTS and requested_slot is not None:
            reporting = answer_kind(text) is not None
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
            tracker.add_slots(events)
        extracted = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extracted)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        if starting and next_slot is not None and next_slot.get("value"):
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
            await send_emergency_advice(dispatcher)
            return [SlotSet("referral_advice", EMERGENCY)]
        if requested and wants_to_stop(text):
            return [SlotSet("assessment_stopped", True)]
        facts, mentioned = extract_facts(intent, text, message.get("entities") or [], requested)
        if requested and not facts and intent not in DIGRESSION_INTENTS:
            # not an answer we understand, and not a question: ask again rather than guess
            dispatcher.utter_message(response="utter_answer_not_understood")
            return [SlotSet(requested, None)]
        events: list[EventType] = [SlotSet(slot, value) for slot, value in facts.items()]
        if mentioned:
            known = list(tracker.get_slot("reported_conditions") or [])
            events.append(
                SlotSet("reported_conditions", known + [m for m in mentioned if m not in known])
            )
        return events


def _reported_names(kb: KnowledgeBase, reported: list[str]) -> list[str]:
    names = []
    for item in reported:
        kind, _, key = item.partition(":")
        entity = kb.entity(kind, key)
        names.append(display_name(entity) if entity else key.replace("_", " "))
    return names


def compose_advice(
    kb: KnowledgeBase, facts: Facts, advice: str | None, reported: list[str]
) -> Reply:
    """Why, what to do, where (centre from the KB, only filled fields) and the doctor caveat."""
    composer = Composer(kb)
    reply = Reply()
    if reported:
        composer.add_phrase(
            reply, "referral.mentioned", items=", ".join(_reported_names(kb, reported))
        )
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
        composer.add_phrase(
            reply, f"referral.{advice}", centre=(kb.centre().name if kb.centre() else "centre")
        )
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
        facts = facts_from_tracker(tracker)
        advice = None if tracker.get_slot("assessment_stopped") else decide(facts)
        reported = list(tracker.get_slot("reported_conditions") or [])
        reply = with_kb(lambda s: compose_advice(KnowledgeBase(s), facts, advice, reported))
        if reply is None:
            dispatcher.utter_message(response="utter_kb_unavailable")
        else:
            dispatcher.utter_message(text=reply.text)
        return [SlotSet("referral_advice", advice), SlotSet("assessment_stopped", None)]
