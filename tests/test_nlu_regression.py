"""Regression guard (CI): the model ``make build`` trained must keep its held-out quality.

Fails when held-out intent macro-F1 or entity F1 drops below 0.90. It never trains: it scores
the model for the current inputs (``bot.build`` names it by their hash), so ``make test``
(which builds first) always checks the model it is about to ship. ~1 minute.
"""

from __future__ import annotations

import pytest

from nlu_eval.data import load_examples
from nlu_eval.experiments import ROOT
from nlu_eval.predict import predict
from nlu_eval.production import current_model
from nlu_eval.summary import score

MINIMUM = 0.90


@pytest.fixture(scope="module")
def heldout():
    examples = load_examples(ROOT / "tests" / "nlu_test.yml")
    return score(examples, predict(current_model(), examples))


def test_heldout_intent_macro_f1(heldout) -> None:
    scores, intents, _ = heldout
    worst = sorted(intents.per_intent.items(), key=lambda kv: kv[1].f1)[:5]
    assert scores.intent_macro_f1 >= MINIMUM, (
        f"macro-F1 {scores.intent_macro_f1:.3f}; weakest: {worst}"
    )


def test_heldout_entity_f1(heldout) -> None:
    scores, _, entities = heldout
    assert scores.entity_f1 >= MINIMUM, (
        f"entity F1 {scores.entity_f1:.3f}; errors: {entities.errors[:10]}"
    )
