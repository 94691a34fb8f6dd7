"""The one intent vocabulary (kb/contract.py) against domain.yml, stories and its users."""

from pathlib import Path

import pytest
import yaml

from kb.answers import NATURAL_INTENT
from kb.contract import (
    ABOUT_PNS_INTENTS,
    ANSWER_INTENTS,
    DIGRESSION_INTENTS,
    FALLBACK_INTENT,
    FEEDBACK_INTENT,
    GROUPS,
    INTENTS,
    KNOWLEDGE_INTENTS,
    REPORTING_INTENTS,
    intents_in,
)

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def test_every_domain_intent_is_declared_once_with_a_group() -> None:
    domain = [
        i if isinstance(i, str) else next(iter(i)) for i in load(ROOT / "domain.yml")["intents"]
    ]
    assert len(domain) == len(set(domain))
    assert sorted(domain) == sorted(INTENTS), "domain.yml intents and kb.contract.INTENTS differ"
    assert set(INTENTS.values()) <= set(GROUPS)
    assert FALLBACK_INTENT not in INTENTS and FEEDBACK_INTENT in INTENTS


def test_the_derived_sets_split_every_intent() -> None:
    everything = set(INTENTS) | {FALLBACK_INTENT}
    assert REPORTING_INTENTS | DIGRESSION_INTENTS == everything
    assert not REPORTING_INTENTS & DIGRESSION_INTENTS
    assert ABOUT_PNS_INTENTS < set(KNOWLEDGE_INTENTS)
    assert set(KNOWLEDGE_INTENTS) <= DIGRESSION_INTENTS
    assert set(KNOWLEDGE_INTENTS) <= set(ANSWER_INTENTS)
    assert sum(len(intents_in(g)) for g in GROUPS) == len(INTENTS)
    with pytest.raises(ValueError, match="unknown intent group"):
        intents_in("general")


def test_every_knowledge_intent_is_answered_from_the_kb() -> None:
    routed = set()
    for path in sorted((ROOT / "stories").glob("*.yml")):
        data = load(path)
        for flow in [*data.get("rules", []), *data.get("stories", [])]:
            steps = flow.get("steps", [])
            for step, after in zip(steps, steps[1:], strict=False):
                if after.get("action") == "action_answer_knowledge" and "intent" in step:
                    routed.add(step["intent"])
    assert routed == set(KNOWLEDGE_INTENTS)


def test_code_keyed_by_intent_uses_contract_names() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    topics = [
        r.removeprefix("utter_topic_") for r in domain["responses"] if r.startswith("utter_topic_")
    ]
    assert set(topics) <= set(INTENTS)  # the "Did you want to know about …?" labels
    assert set(NATURAL_INTENT.values()) <= set(KNOWLEDGE_INTENTS)
