"""The clinical corrections of issue 13 stay made: each check reads the shipped seed content.

These are the statements whose absence was false reassurance or weak emergency advice in the
independent clinical read. A later edit that drops one fails here (and the hazard log names
these tests as the mitigation's evidence).
"""

from __future__ import annotations

from typing import Any

import pytest

from kb.contract import KNOWLEDGE_INTENTS
from kb.errors import ContentError
from kb.items import Ref
from kb.loader import Content, read_content
from kb.payloads import normalise


@pytest.fixture(scope="module")
def content() -> Content:
    return read_content()


def entity(content: Content, kind: str, key: str) -> dict[str, Any]:
    return content.entities[(kind, key)]


def owner_of(content: Content, synonym: str) -> tuple[str, str]:
    form = synonym.lower()
    owners = [
        ref
        for ref, item in content.entities.items()
        if form in {s.lower() for s in item["synonyms"]} or item["name"].lower() == form
    ]
    assert len(owners) == 1, (synonym, owners)
    return owners[0]


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("antibody", "achr"),
        ("syndrome", "myasthenia_gravis"),
        ("symptom", "drooping_eyelids"),
        ("cancer", "thymoma"),
    ],
)
def test_myasthenia_texts_name_thymoma_and_the_breathing_emergency(
    content: Content, kind: str, key: str
) -> None:
    text = entity(content, kind, key)["description"]
    assert "thymoma" in text and "myasthenia gravis" in text.lower()
    assert "breath" in text and "{emergency_number}" in text
    assert "not counted as a paraneoplastic" not in text


def test_seizure_texts_give_the_first_aid_rules(content: Content) -> None:
    for kind, key in (("symptom", "seizures"), ("treatment", "antiseizure")):
        text = entity(content, kind, key)["description"]
        for rule in ("first seizure", "more than 5 minutes", "without the person waking"):
            assert rule in text, (key, rule)
        assert "injured" in text and "trouble breathing" in text
    assert "valproate" not in entity(content, "treatment", "antiseizure")["description"]


def test_vgkc_has_its_own_item_and_is_not_lgi1(content: Content) -> None:
    assert owner_of(content, "VGKC") == ("antibody", "vgkc")
    assert owner_of(content, "VGKC-complex antibody") == ("antibody", "vgkc")
    assert "neither LGI1 nor CASPR2" in entity(content, "antibody", "vgkc")["description"]
    assert not any("vgkc" in s.lower() for s in entity(content, "antibody", "lgi1")["synonyms"])


@pytest.mark.parametrize(
    ("synonym", "owner"),
    [
        ("sensory neuropathy", ("symptom", "numbness")),
        ("cerebellar ataxia", ("symptom", "unsteady_walking")),
        ("tremor", ("symptom", "involuntary_movements")),
        ("night sweats", ("symptom", "sweating")),
        ("myelopathy", ("syndrome", "myelopathy")),
    ],
)
def test_over_broad_synonyms_lead_to_texts_that_say_most_cases_are_not_pns(
    content: Content, synonym: str, owner: tuple[str, str]
) -> None:
    assert owner_of(content, synonym) == owner
    paragraphs = entity(content, *owner)["description"].split("\n\n")
    first_pns = next(
        i for i, p in enumerate(paragraphs) if "in pns" in p.lower() or "paraneoplastic" in p
    )
    reassurance = next(
        i
        for i, p in enumerate(paragraphs)
        if "not caused by PNS" in p or "not paraneoplastic" in p or "never caused by PNS" in p
    )
    assert reassurance <= first_pns, synonym


def test_missing_red_flags_are_in_the_texts(content: Content) -> None:
    assert "stroke" in entity(content, "symptom", "dizziness")["description"]
    assert "spinal cord" in entity(content, "syndrome", "myelopathy")["description"]
    assert "spinal cord" in entity(content, "symptom", "weakness")["description"]
    assert "breathe or swallow" in entity(content, "symptom", "weakness")["description"]
    for key in ("immunosuppression", "rituximab", "cyclophosphamide", "steroids"):
        assert "Fever" in entity(content, "treatment", key)["description"], key
    assert "fever and headache" in entity(content, "symptom", "confusion")["description"]
    symptomatic = entity(content, "treatment", "symptomatic")["description"]
    assert "benzodiazepines or baclofen suddenly" in symptomatic


def test_smaller_corrections(content: Content) -> None:
    assert "about half of people with these antibodies have small-cell lung cancer" in (
        entity(content, "antibody", "gababr")["description"].lower()
    )
    assert "about 1 in 5 had a tumour" in entity(content, "antibody", "gfap")["description"]
    nmdar = entity(content, "antibody", "nmdar")["description"]
    assert "children and in men" in nmdar
    assert "about 9 in 10" in entity(content, "antibody", "vgcc")["description"]
    assert "prednisolone" in entity(content, "treatment", "steroids")["description"]
    tests_answer = content.answers[("ask_tests", None)]["text"]
    assert "essential" not in tests_answer and "from 2011" in tests_answer
    assert "cancer usually decides" in content.answers[("ask_prognosis", None)]["text"]
    assert "tumour" in content.phrases["risk_group.intermediate"]["text"]


def test_new_patient_questions_are_answered_with_sources(content: Content) -> None:
    for intent in (
        "ask_heredity",
        "ask_side_effects",
        "ask_daily_life",
        "ask_carer_support",
        "ask_visit",
    ):
        assert intent in KNOWLEDGE_INTENTS
        assert content.answers[(intent, None)]["sources"], intent
    for key in ("steroids", "ivig", "plasma_exchange", "rituximab", "chemotherapy"):
        assert ("ask_side_effects", ("treatment", key)) in content.answers, key
    assert ("ask_symptoms", ("treatment", "chemotherapy")) in content.answers
    negative = content.answers[("ask_antibodies", ("test", "antibody_test"))]["text"]
    assert "does not rule PNS out" in negative


def test_an_unknown_placeholder_in_a_text_is_refused() -> None:
    raw = {"text": "Call {emergency_numbr} now.", "sources": ["g21"]}
    with pytest.raises(ContentError, match="unknown placeholder"):
        normalise(Ref("answer", ("ask_cause",)), raw, "test", lambda ref: True)
    ok = {"text": "Call {emergency_number} (ambulance {ambulance_number}).", "sources": ["g21"]}
    assert normalise(Ref("answer", ("ask_cause",)), ok, "test", lambda ref: True)["text"]
