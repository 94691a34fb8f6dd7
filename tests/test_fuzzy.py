"""Fuzzy matching of misspelt KB terms (pure functions, no spaCy)."""

from nlu.fuzzy import FuzzyMatcher, Term, damerau_levenshtein, edit_budget, skeleton


def test_skeleton_forgives_medical_spelling_confusions() -> None:
    assert skeleton("encefalitis") == skeleton("encephalitis")
    assert skeleton("myastenic") == skeleton("myasthenic")
    assert skeleton("limbik") == skeleton("limbic")
    assert skeleton("plasmaferesis") == skeleton("plasmapheresis")
    assert skeleton("diarrhea") == skeleton("diarrhoea")
    assert skeleton("numbnes") == skeleton("numbness")


def test_damerau_levenshtein_counts_transpositions_once_and_stops_early() -> None:
    assert damerau_levenshtein("brest", "breast", 2) == 1
    assert damerau_levenshtein("tired", "tried", 2) == 1
    assert damerau_levenshtein("kitten", "sitting", 5) == 3
    assert damerau_levenshtein("abc", "xyzabc", 1) == 2  # limit + 1: hopeless, stopped


def test_edit_budget_grows_with_length() -> None:
    assert [edit_budget(n) for n in (3, 4, 5, 9, 10, 14)] == [0, 0, 1, 1, 2, 2]


TERMS = [
    Term("syndrome", "lems", ("lambert", "eaton", "myasthenic", "syndrome")),
    Term("syndrome", "limbic_encephalitis", ("limbic", "encephalitis")),
    Term("cancer", "breast", ("breast", "cancer")),
    Term("symptom", "fatigue", ("tired",)),
    Term("symptom", "dizziness", ("dizzy",)),
    Term("test", "eeg", ("eeg",)),
    Term("symptom", "gut_problems", ("bloating",)),
    Term("syndrome", "stiff_person", ("stiff", "person", "syndrome")),
]


def found(text: str, existing: list[tuple[int, int]] | None = None) -> list[tuple[int, int, str]]:
    matcher = FuzzyMatcher(TERMS, protected={"floating", "the", "a"})
    return [(m.start, m.end, m.key) for m in matcher.find(text.split(), existing or [])]


def test_misspelt_terms_are_found_with_their_ids() -> None:
    assert found("whats lamber eaton myastenic syndrom") == [(1, 5, "lems")]
    assert found("what is limbik encefalitis") == [(2, 4, "limbic_encephalitis")]
    assert found("i had brest cancr") == [(2, 4, "breast")]
    assert found("he is dizy") == [(2, 3, "dizziness")]


def test_exact_text_is_left_to_the_entity_ruler() -> None:
    assert found("breast cancer") == []


def test_short_and_protected_words_are_not_read_as_typos() -> None:
    assert found("i tried everything") == []  # tired: too short for an edit
    assert found("an egg") == []  # EEG: skeleton too short
    assert found("i feel like floating") == []  # protected everyday word


def test_a_longer_fuzzy_match_replaces_a_contained_exact_one() -> None:
    assert found("explain stiff persn syndrome", existing=[(1, 2)]) == [(1, 4, "stiff_person")]
    assert found("stiff and dizy", existing=[(0, 1)]) == [(2, 3, "dizziness")]


def test_a_typo_equally_close_to_two_entities_is_dropped() -> None:
    matcher = FuzzyMatcher([Term("a", "x", ("abcdef",)), Term("a", "y", ("abcdeg",))])
    assert matcher.find(["abcdez"]) == []
