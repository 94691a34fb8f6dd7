"""The referral assessment's decisions, as pure functions (docs/architecture.md, "Referral
assessment").

Kept free of Rasa so the table is tested exhaustively: every combination of the three facts,
each true, false or not yet known. The emergency row is not decided here: a red flag in any
message gets the emergency advice from the actions (``referral_advice = emergency``).

| situation                                                    | referral_advice       |
|--------------------------------------------------------------|-----------------------|
| red-flag emergency, at any point                             | emergency             |
| antineuronal antibodies found (with or without cancer)       | neuromuscular_centre  |
| cancer (now or in the past) and neurological symptoms        | neuromuscular_centre  |
| neurological symptoms, no known cancer, no antibodies found  | neurologist           |
| otherwise                                                    | no_referral           |

"I don't know" / "never tested" count as not found, so a fact is True, False or None
(None = not asked yet).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

EMERGENCY = "emergency"
NEUROMUSCULAR_CENTRE = "neuromuscular_centre"
NEUROLOGIST = "neurologist"
NO_REFERRAL = "no_referral"

#: The form's slots, in the order they are asked.
FACT_SLOTS = ("cancer_history", "neuro_symptoms", "antibodies_positive")


@dataclass(frozen=True)
class Facts:
    """What the user has told us so far; None means not known yet."""

    cancer_history: bool | None = None
    neuro_symptoms: bool | None = None
    antibodies_positive: bool | None = None

    def unknown(self) -> list[str]:
        return [slot for slot in FACT_SLOTS if getattr(self, slot) is None]


def advice_for(cancer_history: bool, neuro_symptoms: bool, antibodies_positive: bool) -> str:
    """The table for complete facts (no emergency)."""
    if antibodies_positive:
        return NEUROMUSCULAR_CENTRE
    if cancer_history and neuro_symptoms:
        return NEUROMUSCULAR_CENTRE
    if neuro_symptoms:
        return NEUROLOGIST
    return NO_REFERRAL


def possible_advice(facts: Facts) -> set[str]:
    """Every advice the facts still allow, over all values of the unknown ones."""
    unknown = facts.unknown()
    outcomes = set()
    for values in itertools.product((True, False), repeat=len(unknown)):
        complete = replace(facts, **dict(zip(unknown, values)))
        outcomes.add(
            advice_for(
                complete.cancer_history, complete.neuro_symptoms, complete.antibodies_positive
            )
        )
    return outcomes


def decide(facts: Facts) -> str | None:
    """The advice if the facts already determine it, else None."""
    outcomes = possible_advice(facts)
    return outcomes.pop() if len(outcomes) == 1 else None


def next_question(facts: Facts) -> str | None:
    """The first unknown fact whose answer can still change the advice, or None when decided.

    Facts that cannot change the outcome are never asked (e.g. with antibodies found, the
    cancer history does not matter).
    """
    if decide(facts) is not None:
        return None
    for slot in facts.unknown():
        if possible_advice(replace(facts, **{slot: True})) != possible_advice(
            replace(facts, **{slot: False})
        ):
            return slot
    return None  # pragma: no cover - unreachable: an undecided state always has a deciding slot
