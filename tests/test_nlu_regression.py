"""Regression guard (CI): the model ``make build`` trained must keep its held-out quality.

Fails when held-out intent macro-F1 or entity F1 drops below the floor of each set: the
project's English held-out set, the independent English set (tests/nlu_test_wild.yml, issue 16)
and the Russian held-out set (one model serves both languages). It never trains: it scores
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

#: It scores the built model, so it runs with the integration group (after ``make build``),
#: not with the unit tests, which ``make test`` runs while the model trains.
pytestmark = pytest.mark.integration

#: The floor per held-out set. English: 0.90 (measured 0.959). Russian: below its target of
#: 0.95 (docs/nlu-eval.md, measured 0.86 with a Russian-only model on 2026-12-02), so the
#: floor sits under today's figure and catches regressions; raise it as the data improves.
MINIMUM = {"nlu_test.yml": 0.90, "nlu_test_wild.yml": 0.90, "nlu_test_ru.yml": 0.80}


@pytest.fixture(scope="module", params=sorted(MINIMUM))
def heldout(request: pytest.FixtureRequest):
    examples = load_examples(ROOT / "tests" / request.param)
    return (*score(examples, predict(current_model(), examples)), MINIMUM[request.param])


def test_heldout_intent_macro_f1(heldout) -> None:
    scores, intents, _, minimum = heldout
    worst = sorted(intents.per_intent.items(), key=lambda kv: kv[1].f1)[:5]
    assert scores.intent_macro_f1 >= minimum, (
        f"macro-F1 {scores.intent_macro_f1:.3f}; weakest: {worst}"
    )


def test_heldout_entity_f1(heldout) -> None:
    scores, _, entities, minimum = heldout
    assert scores.entity_f1 >= minimum, (
        f"entity F1 {scores.entity_f1:.3f}; errors: {entities.errors[:10]}"
    )
