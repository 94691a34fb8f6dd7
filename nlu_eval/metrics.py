"""Scores of NLU predictions against annotated examples: intents and entities.

Entities are scored as the assistant uses them: a predicted entity is right when a gold
entity of the same type has the same canonical value and their spans overlap. The exact
span boundary is a convention ("[MRI] of the brain" vs "[MRI of the brain]") that changes
nothing downstream, while a wrong value does; the strict exact-span figures are kept too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    entity: str
    value: str

    def overlaps(self, other: Entity) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Example:
    """One annotated message."""

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """What a model made of one message; ``intent`` is the classifier's choice (fallback undone)."""

    text: str
    intent: str
    confidence: float
    entities: tuple[Entity, ...] = ()


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int

    @staticmethod
    def of(tp: int, fp: int, fn: int) -> PRF:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return PRF(precision, recall, f1, tp + fn)


@dataclass
class IntentScores:
    accuracy: float
    macro_f1: float
    per_intent: dict[str, PRF]
    confused_pairs: list[tuple[str, str, int]]  # (gold, predicted, count), most frequent first
    labels: list[str]
    matrix: list[list[int]]  # rows gold, columns predicted, in ``labels`` order


@dataclass
class EntityScores:
    micro: PRF
    per_type: dict[str, PRF]
    errors: list[tuple[str, list[Entity], list[Entity]]] = field(default_factory=list)


def intent_scores(gold: Sequence[Example], pred: Sequence[Prediction]) -> IntentScores:
    """Accuracy, macro-F1 over the gold intents, per-intent P/R/F1, confusions."""
    _check_aligned(gold, pred)
    labels = sorted({g.intent for g in gold} | {p.intent for p in pred})
    counts: Counter[tuple[str, str]] = Counter((g.intent, p.intent) for g, p in zip(gold, pred))
    per_intent: dict[str, PRF] = {}
    for label in labels:
        tp = counts[(label, label)]
        fp = sum(n for (g, p), n in counts.items() if p == label and g != label)
        fn = sum(n for (g, p), n in counts.items() if g == label and p != label)
        per_intent[label] = PRF.of(tp, fp, fn)
    gold_labels = sorted({g.intent for g in gold})
    macro = sum(per_intent[label].f1 for label in gold_labels) / len(gold_labels)
    correct = sum(n for (g, p), n in counts.items() if g == p)
    confused = sorted(
        ((g, p, n) for (g, p), n in counts.items() if g != p), key=lambda t: (-t[2], t[0], t[1])
    )
    matrix = [[counts[(g, p)] for p in labels] for g in labels]
    return IntentScores(correct / len(gold), macro, per_intent, confused, labels, matrix)


def match_entities(
    gold: Iterable[Entity], pred: Iterable[Entity], exact: bool
) -> tuple[list, list, list]:
    """(true positives, false positives, false negatives), each gold matched at most once."""
    unmatched = list(gold)
    tps, fps = [], []
    for p in sorted(pred, key=lambda e: (e.start, e.end)):
        hit = next(
            (
                g
                for g in unmatched
                if g.entity == p.entity
                and g.value == p.value
                and ((g.start, g.end) == (p.start, p.end) if exact else g.overlaps(p))
            ),
            None,
        )
        if hit is None:
            fps.append(p)
        else:
            unmatched.remove(hit)
            tps.append(p)
    return tps, fps, unmatched


def entity_scores(
    gold: Sequence[Example], pred: Sequence[Prediction], exact: bool = False
) -> EntityScores:
    """Micro and per-type P/R/F1 of entities (type + canonical value, overlapping or exact span)."""
    _check_aligned(gold, pred)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    errors = []
    for g, p in zip(gold, pred):
        tps, fps, fns = match_entities(g.entities, p.entities, exact)
        for e in tps:
            tp[e.entity] += 1
        for e in fps:
            fp[e.entity] += 1
        for e in fns:
            fn[e.entity] += 1
        if fps or fns:
            errors.append((g.text, list(g.entities), list(p.entities)))
    types = sorted(set(tp) | set(fp) | set(fn))
    per_type = {t: PRF.of(tp[t], fp[t], fn[t]) for t in types}
    micro = PRF.of(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return EntityScores(micro, per_type, errors)


@dataclass(frozen=True)
class ThresholdPoint:
    threshold: float
    answered: float  # share of messages not sent to fallback
    answered_accuracy: float  # accuracy among those answered
    wrong_answers: int
    needless_fallbacks: int
    cost: float


def threshold_curve(
    gold: Sequence[Example],
    pred: Sequence[Prediction],
    thresholds: Iterable[float],
    fallback_cost: float,
) -> list[ThresholdPoint]:
    """What each FallbackClassifier threshold would do to these predictions.

    Below the threshold the assistant asks the user to rephrase. A wrong answer costs 1, a
    rephrase request for a message it had understood costs ``fallback_cost``; asking when it
    would have been wrong costs nothing (that is what the fallback is for).
    """
    _check_aligned(gold, pred)
    points = []
    for t in thresholds:
        answered = [(g, p) for g, p in zip(gold, pred) if p.confidence >= t]
        wrong = sum(1 for g, p in answered if g.intent != p.intent)
        needless = sum(1 for g, p in zip(gold, pred) if p.confidence < t and g.intent == p.intent)
        accuracy = (len(answered) - wrong) / len(answered) if answered else 0.0
        points.append(
            ThresholdPoint(
                round(t, 4),
                len(answered) / len(gold),
                accuracy,
                wrong,
                needless,
                wrong + fallback_cost * needless,
            )
        )
    return points


def best_threshold(points: Sequence[ThresholdPoint]) -> ThresholdPoint:
    """Lowest cost; among equal costs the lowest threshold (fewest rephrase requests)."""
    return min(points, key=lambda p: (round(p.cost, 9), p.threshold))


def _check_aligned(gold: Sequence[Example], pred: Sequence[Prediction]) -> None:
    if len(gold) != len(pred) or any(g.text != p.text for g, p in zip(gold, pred)):
        raise ValueError("predictions do not line up with the examples")
    if not gold:
        raise ValueError("no examples")
