"""Scoring of NLU predictions (nlu_eval.metrics), on small hand-checked cases."""

import pytest

from nlu_eval.metrics import (
    Entity,
    Example,
    Prediction,
    best_threshold,
    entity_scores,
    intent_scores,
    threshold_curve,
)
from nlu_eval.predict import classifier_intent, to_prediction

YO = Entity(0, 6, "antibody", "yo")


def ex(text: str, intent: str, *entities: Entity) -> Example:
    return Example(text, intent, tuple(entities))


def pr(text: str, intent: str, confidence: float = 1.0, *entities: Entity) -> Prediction:
    return Prediction(text, intent, confidence, tuple(entities))


def test_intent_accuracy_macro_f1_and_confusions() -> None:
    gold = [ex("a", "greet"), ex("b", "greet"), ex("c", "thank"), ex("d", "deny")]
    pred = [pr("a", "greet"), pr("b", "thank"), pr("c", "thank"), pr("d", "deny")]
    scores = intent_scores(gold, pred)
    assert scores.accuracy == 0.75
    # greet P=1 R=.5 F=2/3; thank P=.5 R=1 F=2/3; deny F=1 → macro (2/3+2/3+1)/3
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert scores.confused_pairs == [("greet", "thank", 1)]
    assert scores.matrix[scores.labels.index("greet")][scores.labels.index("thank")] == 1


def test_entities_match_on_type_value_and_overlapping_span() -> None:
    gold = [ex("anti-Yo antibody", "x", YO)]
    wider = pr("anti-Yo antibody", "x", 1.0, Entity(0, 16, "antibody", "yo"))
    assert entity_scores(gold, [wider]).micro.f1 == 1.0
    assert entity_scores(gold, [wider], exact=True).micro.f1 == 0.0
    wrong_value = pr("anti-Yo antibody", "x", 1.0, Entity(0, 6, "antibody", "hu"))
    scores = entity_scores(gold, [wrong_value])
    assert (scores.micro.precision, scores.micro.recall) == (0.0, 0.0)
    assert scores.errors and scores.errors[0][0] == "anti-Yo antibody"


def test_each_gold_entity_is_matched_once_and_scored_per_type() -> None:
    text = "numb and numb, anti-Yo"
    gold = [ex(text, "x", Entity(0, 4, "symptom", "numbness"), Entity(15, 22, "antibody", "yo"))]
    pred = [
        pr(text, "x", 1.0, Entity(0, 4, "symptom", "numbness"), Entity(1, 3, "symptom", "numbness"))
    ]
    scores = entity_scores(gold, pred)
    assert scores.per_type["symptom"].precision == 0.5 and scores.per_type["symptom"].recall == 1.0
    assert scores.per_type["antibody"].recall == 0.0
    assert scores.micro.support == 2


def test_threshold_curve_counts_wrong_answers_and_needless_fallbacks() -> None:
    gold = [ex("a", "greet"), ex("b", "greet"), ex("c", "thank")]
    pred = [pr("a", "greet", 0.9), pr("b", "greet", 0.35), pr("c", "greet", 0.3)]
    low, mid, high = threshold_curve(gold, pred, [0.1, 0.32, 0.5], fallback_cost=0.5)
    assert (low.wrong_answers, low.needless_fallbacks, low.cost) == (1, 0, 1.0)
    assert (mid.wrong_answers, mid.needless_fallbacks, mid.cost) == (0, 0, 0.0)
    assert (high.wrong_answers, high.needless_fallbacks, high.cost) == (0, 1, 0.5)
    assert best_threshold([low, mid, high]).threshold == 0.32


def test_misaligned_predictions_are_refused() -> None:
    with pytest.raises(ValueError):
        intent_scores([ex("a", "greet")], [pr("b", "greet")])


def test_fallback_verdict_is_undone_and_entities_kept() -> None:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "ask_antibodies", "confidence": 0.31},
            {"name": "inform_condition", "confidence": 0.2},
        ],
        "entities": [
            {
                "start": 0,
                "end": 6,
                "entity": "antibody",
                "value": "yo",
                "extractor": "KBEntityExtractor",
            }
        ],
    }
    assert classifier_intent(parse) == ("ask_antibodies", 0.31)
    assert to_prediction("anti-Yo?", parse).entities == (YO,)
