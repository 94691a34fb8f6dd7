"""Condense runs into the figures the report compares: per run, and mean ± std over folds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, pstdev

from nlu_eval.metrics import (
    EntityScores,
    Example,
    IntentScores,
    Prediction,
    entity_scores,
    intent_scores,
)


@dataclass(frozen=True)
class Scores:
    """Headline figures of one evaluation."""

    intent_accuracy: float
    intent_macro_f1: float
    entity_precision: float
    entity_recall: float
    entity_f1: float
    entity_exact_f1: float

    FIELDS = (
        "intent_accuracy",
        "intent_macro_f1",
        "entity_precision",
        "entity_recall",
        "entity_f1",
        "entity_exact_f1",
    )


def score(
    examples: Sequence[Example], predictions: Sequence[Prediction]
) -> tuple[Scores, IntentScores, EntityScores]:
    """Headline scores plus the detailed intent and (overlap-matched) entity scores."""
    intents = intent_scores(examples, predictions)
    entities = entity_scores(examples, predictions)
    exact = entity_scores(examples, predictions, exact=True)
    headline = Scores(
        intents.accuracy,
        intents.macro_f1,
        entities.micro.precision,
        entities.micro.recall,
        entities.micro.f1,
        exact.micro.f1,
    )
    return headline, intents, entities


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float


def across_folds(fold_scores: Sequence[Scores]) -> dict[str, Spread]:
    """Mean and (population) standard deviation of each headline figure over the folds."""
    return {
        name: Spread(
            mean(getattr(s, name) for s in fold_scores),
            pstdev(getattr(s, name) for s in fold_scores),
        )
        for name in Scores.FIELDS
    }
