"""The referral decision, exhaustively: every combination of the three facts (true, false,
unknown), checked against the docs/architecture.md table written out here; the advice values
are domain.yml's."""

import itertools
from pathlib import Path

import pytest
import yaml

from actions.referral import (
    EMERGENCY,
    FACT_SLOTS,
    NEUROLOGIST,
    NEUROMUSCULAR_CENTRE,
    NO_REFERRAL,
    Facts,
    advice_for,
    decide,
    next_question,
)

VALUES = (True, False, None)
ALL_STATES = [Facts(*combo) for combo in itertools.product(VALUES, repeat=3)]


def table(cancer: bool, symptoms: bool, antibodies: bool) -> str:
    """docs/architecture.md, row by row."""
    if antibodies:
        return NEUROMUSCULAR_CENTRE  # antibodies found, with or without cancer
    if cancer and symptoms:
        return NEUROMUSCULAR_CENTRE  # cancer and neurological symptoms
    if symptoms and not cancer and not antibodies:
        return NEUROLOGIST  # symptoms, no known cancer, no antibodies found
    return NO_REFERRAL


@pytest.mark.parametrize("combo", list(itertools.product((True, False), repeat=3)))
def test_complete_facts_follow_the_table(combo: tuple[bool, bool, bool]) -> None:
    assert advice_for(*combo) == table(*combo)
    assert decide(Facts(*combo)) == table(*combo)


def completions(facts: Facts) -> set[str]:
    unknown = [s for s in FACT_SLOTS if getattr(facts, s) is None]
    results = set()
    for values in itertools.product((True, False), repeat=len(unknown)):
        full = {**facts.__dict__, **dict(zip(unknown, values))}
        results.add(
            table(full["cancer_history"], full["neuro_symptoms"], full["antibodies_positive"])
        )
    return results


@pytest.mark.parametrize("facts", ALL_STATES, ids=str)
def test_partial_facts_decide_only_when_the_answer_cannot_change(facts: Facts) -> None:
    outcomes = completions(facts)
    expected: str | None = outcomes.pop() if len(outcomes) == 1 else None
    assert decide(facts) == expected


@pytest.mark.parametrize("facts", ALL_STATES, ids=str)
def test_next_question_is_asked_only_when_needed_and_matters(facts: Facts) -> None:
    slot = next_question(facts)
    if decide(facts) is not None:
        assert slot is None
        return
    assert slot is not None and getattr(facts, slot) is None
    yes = completions(Facts(**{**facts.__dict__, slot: True}))
    no = completions(Facts(**{**facts.__dict__, slot: False}))
    assert yes != no, f"{slot} cannot change the advice for {facts}"


@pytest.mark.parametrize("facts", ALL_STATES, ids=str)
def test_asking_the_next_questions_always_reaches_a_decision(facts: Facts) -> None:
    for answers in itertools.product((True, False), repeat=3):
        state, asked = facts, 0
        while (slot := next_question(state)) is not None:
            state = Facts(**{**state.__dict__, slot: answers[FACT_SLOTS.index(slot)]})
            asked += 1
        assert decide(state) is not None and asked <= 3


def test_antibodies_found_needs_no_further_question() -> None:
    assert next_question(Facts(antibodies_positive=True)) is None
    assert decide(Facts(antibodies_positive=True)) == NEUROMUSCULAR_CENTRE


def test_cancer_reported_asks_about_symptoms_first() -> None:
    assert next_question(Facts(cancer_history=True)) == "neuro_symptoms"
    assert next_question(Facts(cancer_history=True, neuro_symptoms=False)) == "antibodies_positive"


def test_nothing_known_starts_with_cancer_history() -> None:
    assert next_question(Facts()) == "cancer_history"


def test_the_advice_values_are_the_domain_slot_values() -> None:
    domain = yaml.safe_load((Path(__file__).parents[1] / "domain.yml").read_text(encoding="utf-8"))
    values = set(domain["slots"]["referral_advice"]["values"])
    assert values == {EMERGENCY, NEUROMUSCULAR_CENTRE, NEUROLOGIST, NO_REFERRAL}
    assert {advice_for(*c) for c in itertools.product((True, False), repeat=3)} < values
