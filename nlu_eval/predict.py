"""Run a trained Rasa model over examples and keep what the metrics need.

The FallbackClassifier's decision is undone (as ``rasa test nlu`` does): intent scores are
about the classifier; the fallback threshold is judged separately on the confidences.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlu_eval.data import entities_of
from nlu_eval.metrics import FALLBACK_INTENT, Example, Prediction


def classifier_intent(parse: dict[str, Any]) -> tuple[str, float]:
    """(intent, confidence) of the classifier, skipping the FallbackClassifier's verdict."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    if ranking:
        return str(ranking[0]["name"]), float(ranking[0]["confidence"])
    intent = parse.get("intent") or {}
    return str(intent.get("name")), float(intent.get("confidence") or 0.0)


def to_prediction(text: str, parse: dict[str, Any]) -> Prediction:
    intent, confidence = classifier_intent(parse)
    return Prediction(text, intent, confidence, entities_of(parse.get("entities") or []))


def predict_raw(model: Path, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Parse every text with ``model`` (rasa .tar.gz, NLU-only or full); keep intents, entities."""
    from rasa.core.agent import Agent  # heavy (TensorFlow): only when predicting
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is logged at debug level
    agent = Agent.load(str(model))

    async def parse_all() -> list[dict[str, Any]]:
        out = []
        for text in texts:
            parse = await agent.parse_message(text)
            out.append(
                {
                    "intent": parse.get("intent"),
                    "intent_ranking": parse.get("intent_ranking"),
                    "entities": [
                        {k: e.get(k) for k in ("start", "end", "entity", "value", "extractor")}
                        for e in parse.get("entities") or []
                    ],
                }
            )
        return out

    return asyncio.run(parse_all())


def predict(model: Path, examples: Sequence[Example]) -> list[Prediction]:
    """Predictions of ``model`` for ``examples``."""
    return [
        to_prediction(e.text, p)
        for e, p in zip(examples, predict_raw(model, [e.text for e in examples]))
    ]
