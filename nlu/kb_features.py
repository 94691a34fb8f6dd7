"""Rasa featurizer: which kinds of KB entity a message mentions, as features for DIET.

Why: "what is LEMS" and "what is anti-Yo" differ only in the name, and the intent classifier
sees the word "lems" but not that it names a syndrome. Rare names (and every name staff add
later) have few or no training examples, so the classifier guesses. With the entity type as
a feature — one per KB kind, on the tokens of the entity and for the whole message — "what is
<syndrome>" generalises to every syndrome the KB knows.

The types come from the spaCy doc that ``SpacyNLP`` attaches to every message (entity ruler
+ fuzzy matcher), the same at training and at prediction time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import spacy_components  # noqa: F401  (the spaCy pipeline's factories)

ENTITY_TYPES: tuple[str, ...] = ("antibody", "cancer", "symptom", "syndrome", "test", "treatment")


def type_features(
    token_spans: Sequence[tuple[int, int]], entity_spans: Sequence[tuple[int, int, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """(tokens × types, 1 × types) indicator matrices: which tokens lie in an entity of a type."""
    sequence = np.zeros((len(token_spans), len(ENTITY_TYPES)))
    for start, end, label in entity_spans:
        if label not in ENTITY_TYPES:
            continue
        column = ENTITY_TYPES.index(label)
        for row, (t_start, t_end) in enumerate(token_spans):
            if t_start < end and start < t_end:
                sequence[row, column] = 1.0
    sentence = (
        sequence.max(axis=0, keepdims=True)
        if len(token_spans)
        else np.zeros((1, len(ENTITY_TYPES)))
    )
    return sequence, sentence


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class KBEntityFeaturizer(SparseFeaturizer, GraphComponent):
    """Sparse features: KB entity type of each token, and the types present in the message."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SparseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure."""

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        SparseFeaturizer.__init__(self, execution_context.node_name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KBEntityFeaturizer:
        return cls(config, execution_context)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            features = self._features(message)
            if features is not None:
                self.add_features_to_message(*features, TEXT, message)
        return messages

    @staticmethod
    def _features(
        message: Message,
    ) -> tuple[scipy.sparse.coo_matrix, scipy.sparse.coo_matrix] | None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        doc = message.get(SPACY_DOCS[TEXT])
        if not tokens or doc is None:
            return None
        sequence, sentence = type_features(
            [(t.start, t.end) for t in tokens],
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
        )
        return scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence)
