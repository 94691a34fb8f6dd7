"""Readability (kb/readability.py, issue 13 item 6): the formulas, and the rule on the KB."""

from __future__ import annotations

import pytest

from kb import readability as r
from kb.cli import readability_report
from kb.items import Ref
from kb.loader import CONTENT_DIR
from kb.validate import readability_problems


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("cat", 1),
        ("the", 1),
        ("make", 1),
        ("table", 2),
        ("seizure", 2),
        ("cancer", 2),
        ("antibody", 4),
        ("paraneoplastic", 5),
        ("used", 1),
        ("112", 1),
        ("rhythm", 1),
    ],
)
def test_english_syllables(word: str, syllables: int) -> None:
    assert r.english_syllables(word) == syllables


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("мозг", 1), ("антитела", 4), ("ёлка", 2), ("112", 1), ("энцефалит", 4)],
)
def test_russian_syllables_are_vowels(word: str, syllables: int) -> None:
    assert r.russian_syllables(word) == syllables


def test_sentences_lists_and_placeholders() -> None:
    text = (
        "First sentence. Second one!\n\nA list:\n- one item;\n- two items\nCall {emergency_number}."
    )
    assert r.sentences_of(text) == [
        "First sentence",
        "Second one",
        "A list",
        "one item;",
        "two items\nCall 112",
    ]
    assert r.counts("", "en") == r.Counts(0, 0, 0)


def test_flesch_kincaid_grade_matches_the_formula() -> None:
    text = "The cat sat on the mat. It was happy."  # 2 sentences, 9 words, 10 syllables
    c = r.counts(text, "en")
    assert (c.sentences, c.words, c.syllables) == (2, 9, 10)
    assert r.flesch_kincaid_grade(text) == pytest.approx(0.39 * 4.5 + 11.8 * 10 / 9 - 15.59)
    assert r.flesch_kincaid_grade("") == 0.0
    hard = (
        "Paraneoplastic neurological syndromes are immunologically mediated complications "
        "of malignancies affecting neuronal structures."
    )
    assert r.flesch_kincaid_grade(hard) > 15 > 5 > r.flesch_kincaid_grade(text)


def test_oborneva_matches_the_formula() -> None:
    text = "Мама спит. Кот ест."  # 2 sentences, 4 words, 5 vowels
    c = r.counts(text, "ru")
    assert (c.sentences, c.words, c.syllables) == (2, 4, 5)
    assert r.oborneva_reading_ease(text) == pytest.approx(206.835 - 1.3 * 2 - 60.1 * 5 / 4)
    assert r.oborneva_grade(text) == pytest.approx(0.5 * 2 + 8.4 * 5 / 4 - 15.59)
    assert r.grade(text, "ru") == r.oborneva_grade(text)
    assert r.oborneva_reading_ease("") == 100.0


def test_a_reason_excuses_a_hard_text() -> None:
    hard = (
        "Paraneoplastic neurological syndromes are immunologically mediated complications "
        "of malignancies affecting neuronal structures throughout the nervous system."
    )
    assert r.needs_reason(hard, None) and r.needs_reason(hard, "  ")
    assert not r.needs_reason(hard, "names of the syndromes")
    assert not r.needs_reason("See a doctor.", None)
    texts = [("answer:ask_cause", hard), ("phrase:x", "See a doctor soon if it gets worse.")]
    assert [s.ref for s in r.too_hard(texts, {})] == ["answer:ask_cause"]
    assert r.too_hard(texts, {"answer:ask_cause": "names"}) == []


def test_validate_reports_a_hard_text_without_a_reason() -> None:
    hard = (
        "Paraneoplastic neurological syndromes are immunologically mediated complications "
        "of malignancies affecting neuronal structures throughout the nervous system."
    )
    live = {
        Ref("answer", ("ask_cause",)): {"text": hard, "sources": ["g21"]},
        Ref("entity", ("symptom", "fatigue")): {
            "description": "Tiredness is common. See a doctor."
        },
        Ref("source", ("g21",)): {"short": "x", "citation": hard},
    }
    problems = readability_problems(live, {})
    assert [p.ref for p in problems] == ["answer:ask_cause"]
    assert "readability.yml" in problems[0].message
    assert readability_problems(live, {"answer:ask_cause": "the names"}) == []


def test_every_english_seed_text_is_grade_9_or_has_a_reason() -> None:
    """The rule itself, on the content that ships (and the command's exit status)."""
    texts = r.seed_texts(CONTENT_DIR, "en")
    notes = r.load_notes(CONTENT_DIR)
    assert r.too_hard(texts, notes) == []
    assert readability_report(CONTENT_DIR, "en").code == 0


def test_every_reason_belongs_to_an_existing_hard_text() -> None:
    """A reason for a text that is gone, or no longer hard, must be removed (no stale notes)."""
    scored = {ref: r.score(ref, text, "en") for ref, text in r.seed_texts(CONTENT_DIR, "en")}
    for ref in r.load_notes(CONTENT_DIR):
        assert ref in scored, ref
        assert scored[ref].grade > r.MAX_GRADE, (ref, scored[ref].grade)


def test_the_russian_report_covers_the_same_items() -> None:
    en = {ref for ref, _ in r.seed_texts(CONTENT_DIR, "en")}
    ru = {ref for ref, _ in r.seed_texts(CONTENT_DIR, "ru")}
    assert ru == en
    report = readability_report(CONTENT_DIR, "ru")
    assert report.code == 0 and report.lines[0].startswith("Oborneva")
