"""Build the project's spaCy pipeline: blank English + an entity ruler of KB vocabulary, and a
lemma matcher of the Russian KB vocabulary (one pipeline serves both languages).

No pretrained spaCy model can be installed here, and none is needed: entities are the KB's
own terms. The ruler's pattern ids are canonical entity ids, so the NLU never has to map
surface text back to ids. Components (``nlu.spacy_components``): normalizer → entity ruler
(KB forms and their generated variants, ``nlu.variants``) → fuzzy matcher for misspellings →
Russian matcher (``nlu.russian``; pymorphy3 lemmas) → span convention. The English tokenizer
also splits punctuation glued between Cyrillic words («лёгкого?что»), which Russian patients
type often; text without Cyrillic tokenizes as before. Rebuild after staff add a synonym:
``make build`` (``python -m bot build``).

The build is skipped when the pipeline on disk was made from the same patterns (hash in
``pns_vocabulary.sha256``), so repeated runs are instant.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.util import compile_infix_regex
from sqlalchemy.orm import Session

from kb.db import session_scope
from kb.vocabulary import Term, terms
from nlu import fuzzy, russian, spacy_components  # noqa: F401  (registers the factories)
from nlu.variants import REWORDING, normalise, patterns
from nlu.vocabulary_ru import russian_terms

HASH_FILE = "pns_vocabulary.sha256"
PIPELINE_NAME = "pns_en"


# Code that shapes the pipeline's output: a change to it must rebuild the pipeline too.
COMPONENT_SOURCES = (spacy_components.__file__, fuzzy.__file__, russian.__file__, __file__)
# Punctuation typed without a space between two Cyrillic words: «лёгкого?что», «ноги,руки».
CYRILLIC_INFIX = r"(?<=[а-яёА-ЯЁ])[?!,.;:)(](?=[а-яёА-ЯЁ])"


def russian_forms(ru_terms: Sequence[Term]) -> list[dict[str, str]]:
    """Russian KB forms as (label, pattern, id) dicts for ``pns_ru_matcher``."""
    forms = {
        (term.kind, " ".join(name.split()), term.key)
        for term in ru_terms
        for name in term.names
        if normalise(name)
    }
    return [{"label": k, "pattern": p, "id": i} for k, p, i in sorted(forms)]


def russian_ambiguous(ru_forms: Sequence[dict[str, str]]) -> dict[str, list[str]]:
    """Russian KB forms that two entities claim (the matcher leaves them out), for the report."""
    tokenizer = blank().tokenizer
    _, ambiguous = russian.compile_patterns(
        ru_forms, lambda text: [t.text for t in tokenizer(text)]
    )
    return {f"ru: {form}": owners for form, owners in ambiguous.items()}


def patterns_hash(
    ruler_patterns: Sequence[dict[str, Any]], ru_forms: Sequence[dict[str, str]] = ()
) -> str:
    code = [Path(path).read_text() for path in COMPONENT_SOURCES]
    payload = json.dumps(
        [spacy.__version__, code, list(ruler_patterns), list(ru_forms)], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def current_hash(out_dir: Path) -> str:
    path = out_dir / HASH_FILE
    return path.read_text().strip() if path.exists() else ""


def blank() -> spacy.language.Language:
    """Blank English with the Cyrillic infix rule (the tokenizer of the whole pipeline)."""
    nlp = spacy.blank("en")
    infixes = [*nlp.Defaults.infixes, CYRILLIC_INFIX]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def build(
    ruler_patterns: Sequence[dict[str, str]],
    out_dir: Path,
    ru_forms: Sequence[dict[str, str]] = (),
) -> None:
    """Write the pipeline to ``out_dir`` atomically (readers never see half a pipeline)."""
    nlp = blank()
    nlp.add_pipe("pns_normalizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM", "validate": True})
    ruler.add_patterns([{k: v for k, v in p.items() if k != "tier"} for p in ruler_patterns])
    fuzzy_matcher = nlp.add_pipe("pns_fuzzy_matcher")
    fuzzy_matcher.set_terms(p for p in ruler_patterns if p.get("tier", REWORDING) < REWORDING)
    nlp.add_pipe("pns_ru_matcher").set_forms(ru_forms)
    nlp.add_pipe("pns_entity_spans")
    nlp.meta.update(
        name=PIPELINE_NAME,
        version="1.0.0",
        description=(
            "PNS Assistant: blank English + entity ruler built from the knowledge base,"
            " Russian lemma matcher (pymorphy3)"
        ),
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".spacy-build-", dir=out_dir.parent))
    nlp.to_disk(tmp)
    (tmp / HASH_FILE).write_text(patterns_hash(ruler_patterns, ru_forms) + "\n")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def vocabulary(session: Session) -> tuple[list[dict[str, Any]], dict[str, list[str]], list]:
    """What the pipeline is built from: the English ruler patterns, their ambiguous forms
    and the Russian forms of the KB's published vocabulary."""
    ruler_patterns, ambiguous = patterns(terms(session))
    return ruler_patterns, ambiguous, russian_forms(russian_terms(session))


def vocabulary_hash(session: Session) -> str:
    """The pipeline hash the KB's published vocabulary builds (the staff admin compares the
    running model with it: both languages' names and synonyms count)."""
    ruler_patterns, _, ru_forms = vocabulary(session)
    return patterns_hash(ruler_patterns, ru_forms)


def ensure_pipeline(database_url: str, out_dir: Path) -> tuple[bool, dict[str, list[str]]]:
    """Build the pipeline if the KB vocabulary changed. Returns (rebuilt, ambiguous forms)."""
    with session_scope(database_url) as session:
        ruler_patterns, ambiguous, ru_forms = vocabulary(session)
    if current_hash(out_dir) == patterns_hash(ruler_patterns, ru_forms):
        return False, ambiguous | russian_ambiguous(ru_forms)
    build(ruler_patterns, out_dir, ru_forms)
    return True, ambiguous | russian_ambiguous(ru_forms)
