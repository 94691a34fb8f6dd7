"""Rasa component: red-flag screening on every message, whatever the classifier decided.

Placed last in the NLU pipeline (after the FallbackClassifier), so it sees every parsed
message of every channel (REST, socket.io widget, Telegram, the HTTP API's /model/parse): a
greeting, "thanks", a yes/no answer inside the referral form, an out-of-scope or
low-confidence message. When :func:`actions.emergency.red_flag` finds a red flag, the intent
becomes ``report_emergency`` with confidence 1.0 (the classifier's guess stays in the ranking
and in ``red_flag.original_intent`` for the logs), and the domain's rules answer with
``action_emergency``, which also ends the referral form. Button payloads ("/affirm") are not
parsed by the pipeline and carry no red flags; they are our own texts.

Why a component and not an action: Rasa runs no action on *every* turn (rules and forms
decide which one runs, and a form validates only its own slots), while every message passes
the NLU pipeline before any policy sees it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.emergency import EMERGENCY_INTENT, red_flag

RED_FLAG_KEY = "red_flag"


def screened(parse: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The parse fields to overwrite for a flagged ``text``, or None (pure, unit-tested)."""
    kind = red_flag(text)
    if kind is None:
        return None
    original = (parse.get(INTENT) or {}).get("name")
    ranking = [r for r in parse.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
    intent = {"name": EMERGENCY_INTENT, "confidence": 1.0}
    return {
        INTENT: intent,
        INTENT_RANKING_KEY: [intent, *ranking],
        RED_FLAG_KEY: {"kind": kind, "original_intent": original},
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagScreen(GraphComponent):
    """Turns any message with a red flag into ``report_emergency``."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagScreen:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            changes = screened(message.as_dict(), message.get(TEXT) or "")
            for key, value in (changes or {}).items():
                message.set(key, value, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
