"""Rasa component: entities from the project's spaCy entity ruler, valued by canonical id.

Rasa's ``SpacyEntityExtractor`` reports the matched text ("anti-Yo"); the contract wants the
canonical id ("yo"), which the ruler keeps as the span's ``ent_id_``.

Importing this module also registers the spaCy components of the project's pipeline: Rasa
imports it (it is named in config.yml) before ``SpacyNLP`` loads the pipeline from disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor

from nlu import spacy_components  # noqa: F401  (registers the pipeline's spaCy factories)

if TYPE_CHECKING:
    from spacy.tokens.doc import Doc


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class KBEntityExtractor(SpacyEntityExtractor):
    """Entities found by the KB entity ruler, with the canonical id as value."""

    @staticmethod
    def _extract_entities(doc: Doc) -> list[dict[str, Any]]:
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_ or ent.text.lower(),
                "start": ent.start_char,
                "end": ent.end_char,
                "confidence": None,
            }
            for ent in doc.ents
        ]
