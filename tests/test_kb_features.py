"""KB entity-type features for the intent classifier (nlu.kb_features)."""

import numpy as np

from nlu.kb_features import ENTITY_TYPES, type_features


def test_tokens_inside_an_entity_get_its_type_and_the_sentence_gets_all_types() -> None:
    # "what is anti-Yo and LEMS": tokens what|is|anti-Yo|and|LEMS
    tokens = [(0, 4), (5, 7), (8, 15), (16, 19), (20, 24)]
    sequence, sentence = type_features(tokens, [(8, 15, "antibody"), (20, 24, "syndrome")])
    antibody, syndrome = ENTITY_TYPES.index("antibody"), ENTITY_TYPES.index("syndrome")
    assert sequence.shape == (5, len(ENTITY_TYPES))
    assert sequence[2, antibody] == 1 and sequence[4, syndrome] == 1
    assert sequence.sum() == 2
    assert sentence.shape == (1, len(ENTITY_TYPES))
    assert sentence[0, antibody] == sentence[0, syndrome] == 1 and sentence.sum() == 2


def test_no_entities_give_zero_features_and_unknown_labels_are_ignored() -> None:
    sequence, sentence = type_features([(0, 2)], [(0, 2, "PERSON")])
    assert not sequence.any() and not sentence.any()
    _, empty = type_features([], [])
    assert np.array_equal(empty, np.zeros((1, len(ENTITY_TYPES))))
