"""The project's spaCy pipeline, built from a real KB: entities come out as canonical ids."""

from pathlib import Path

import pytest
import spacy

from nlu.spacy_pipeline import current_hash, ensure_pipeline


@pytest.fixture(scope="module")
def pipeline_dir(kb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spacy") / "pns_en"
    rebuilt, _ = ensure_pipeline(kb_url, out)
    assert rebuilt
    return out


@pytest.fixture(scope="module")
def nlp(pipeline_dir: Path):
    return spacy.load(pipeline_dir)


def ents(nlp, text: str) -> list[tuple[str, str]]:
    return [(e.label_, e.ent_id_) for e in nlp(text).ents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what does anti-Yo mean?", ("antibody", "yo")),
        ("anti yo positive??", ("antibody", "yo")),
        ("my report says antiYo", ("antibody", "yo")),
        ("Yo antibody found", ("antibody", "yo")),
        ("PCA-1 positive", ("antibody", "yo")),
        ("ANNA-1 was found in my blood", ("antibody", "hu")),
        ("what is LEMS?", ("syndrome", "lems")),
        ("tell me about lambert-eaton myasthenic syndrome", ("syndrome", "lems")),
        ("I had small cell lung cancer", ("cancer", "sclc")),
        ("do I need an MRI", ("test", "mri")),
        ("what is IVIG", ("treatment", "ivig")),
        # case, hyphen and space variants
        ("ANTI YO positive", ("antibody", "yo")),
        ("she has non-small cell lung cancer", ("cancer", "nsclc")),
        ("what is lambert eaton", ("syndrome", "lems")),
        ("pet ct next week", ("test", "pet_ct")),
        # contractions and the person and tense patients use
        ("i cant breathe", ("symptom", "breathing_difficulty")),
        ("she cannot breathe", ("symptom", "breathing_difficulty")),
        ("my mum walks like she's drunk", ("symptom", "unsteady_walking")),
        ("he sees things that arent there", ("symptom", "hallucinations")),
        ("dad is losing his balance", ("symptom", "unsteady_walking")),
        ("his legs are getting very weak", ("symptom", "weakness")),
        ("my eyelids droop in the evening", ("symptom", "drooping_eyelids")),
        ("she is weak in the legs", ("symptom", "weakness")),
        ("problems with his memory", ("symptom", "memory_loss")),
        # common misspellings
        ("i had brest cancr", ("cancer", "breast")),
        ("what is limbik encefalitis", ("syndrome", "limbic_encephalitis")),
        ("is plasmaferesis safe", ("treatment", "plasma_exchange")),
        # Russian (nlu.russian), next to the English ruler in the same pipeline
        ("у мамы нашли антитела к anti-Yo", ("antibody", "yo")),
        ("что такое анти-Hu", ("antibody", "hu")),
        ("отец болеет раком лёгких", ("cancer", "lung")),
        ("немеют у него ноги", ("symptom", "numbness")),
        ("сделали ЭНМГ", ("test", "enmg")),
        ("что такое LEMS простыми словами", ("syndrome", "lems")),
        ("anty hu positive", ("antibody", "hu")),
        ("my husband is dizy", ("symptom", "dizziness")),
        ("explain stiff persn syndrome", ("syndrome", "stiff_person")),
    ],
)
def test_entities_are_recognised_as_canonical_ids(
    nlp, text: str, expected: tuple[str, str]
) -> None:
    assert expected in ents(nlp, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # whole patient messages: every KB term found, each as its canonical id, nothing else
        (
            "my mum has brest cancer and she walks like shes drunk",
            [("cancer", "breast"), ("symptom", "unsteady_walking")],
        ),
        (
            "my mum had brest cancer, now she walks like she is drunk",
            [("cancer", "breast"), ("symptom", "unsteady_walking")],
        ),
        ("anti hu and small cell lung cancr", [("antibody", "hu"), ("cancer", "sclc")]),
        ("lamber-eaton syndrom", [("syndrome", "lems")]),
        (
            "dads eyelids are droopy and he sees double",
            [("symptom", "drooping_eyelids"), ("symptom", "double_vision")],
        ),
        ("OMS in my daughter", [("syndrome", "opsoclonus_myoclonus")]),
        ("anna1 positive", [("antibody", "hu")]),
        ("ANNA 1 positive", [("antibody", "hu")]),
        ("lung canser", [("cancer", "lung")]),
        ("my mom cant remeber anything", [("symptom", "memory_loss")]),
        ("she keeps forgeting things", [("symptom", "memory_loss")]),
        ("hes shaky on his feet", [("symptom", "unsteady_walking")]),
        ("mri brain and lumbar punction next week", [("test", "mri"), ("test", "lumbar_puncture")]),
        (
            "my husband has sclc and his legs feel weak",
            [("cancer", "sclc"), ("symptom", "weakness")],
        ),
        (
            "my gran is dizzy and cant swallow properly",
            [("symptom", "dizziness"), ("symptom", "swallowing_difficulty")],
        ),
        (
            "i had chemo and radiotherapy",
            [("treatment", "chemotherapy"), ("treatment", "radiotherapy")],
        ),
        # an everyday word one letter from a symptom ("shaking") stays an everyday word
        ("can i get pns from sharing food with my husband", []),
    ],
)
def test_patient_messages_yield_exactly_their_kb_terms(
    nlp, text: str, expected: list[tuple[str, str]]
) -> None:
    assert ents(nlp, text) == expected


def spans(nlp, text: str) -> list[str]:
    return [e.text for e in nlp(text).ents]


def test_antibody_span_is_the_name_without_the_word_antibody(nlp) -> None:
    assert spans(nlp, "anti-Yo antibodies were found") == ["anti-Yo"]
    assert spans(nlp, "CRMP5 antibody positive") == ["CRMP5"]
    assert spans(nlp, "Hu-Ab positive") == ["Hu"]


@pytest.mark.parametrize(
    "text",
    [
        "i need an operator",
        "i tried everything",
        "what is the price of bitcoin",
        "can you book me a taxi",
        "my car wont start what do i do",
        "an egg for breakfast",
    ],
)
def test_everyday_words_are_not_mistaken_for_kb_terms(nlp, text: str) -> None:
    assert ents(nlp, text) == []


def test_longest_match_wins(nlp) -> None:
    assert ents(nlp, "small cell lung cancer") == [("cancer", "sclc")]


def test_pipeline_is_saved_and_loaded_with_its_own_components(nlp) -> None:
    assert nlp.pipe_names == [
        "pns_normalizer",
        "entity_ruler",
        "pns_fuzzy_matcher",
        "pns_ru_matcher",
        "pns_entity_spans",
    ]


def test_plain_text_has_no_entities(nlp) -> None:
    assert ents(nlp, "hello, how are you today") == []


def test_rebuild_is_skipped_when_vocabulary_is_unchanged(kb_url: str, pipeline_dir: Path) -> None:
    before = current_hash(pipeline_dir)
    rebuilt, _ = ensure_pipeline(kb_url, pipeline_dir)
    assert not rebuilt and current_hash(pipeline_dir) == before


def test_a_new_synonym_triggers_a_rebuild(fresh_kb_url: str, tmp_path: Path) -> None:
    from sqlalchemy import select

    from kb.db import session_scope
    from kb.models import Entity, Synonym

    out = tmp_path / "pns_en"
    ensure_pipeline(fresh_kb_url, out)
    with session_scope(fresh_kb_url) as session:
        lems = session.execute(select(Entity).where(Entity.key == "lems")).scalar_one()
        # a synonym the shipped content does not have (it gains lay forms over time)
        assert "lambert myasthenic weakness" not in {s.text for s in lems.synonyms}
        lems.synonyms.append(Synonym(text="lambert myasthenic weakness"))
    rebuilt, _ = ensure_pipeline(fresh_kb_url, out)
    assert rebuilt
    assert ("syndrome", "lems") in ents(spacy.load(out), "is lambert myasthenic weakness serious")


@pytest.mark.parametrize(
    ("previous", "text", "norm", "expected"),
    [
        ("i", "m", "m", "am"),
        ("she", "'s", "'s", "is"),
        ("she", "s", "s", "is"),
        ("hodgkin", "'s", "'s", "'s"),  # a possessive stays a possessive
        (None, "Tumour", "tumour", "tumor"),
        (None, "n\u2019t", "n\u2019t", "n't"),
    ],
)
def test_normalizer_unifies_clitics_and_spellings(
    previous, text: str, norm: str, expected: str
) -> None:
    from nlu.spacy_components import norm_of

    assert norm_of(previous, text, norm) == expected
