"""Build the project's spaCy pipeline: blank English + an entity ruler of KB vocabulary.

No pretrained spaCy model can be installed here, and none is needed: entities are the KB's
own terms. The ruler's pattern ids are canonical entity ids, so the NLU never has to map
surface text back to ids. Components (``nlu.spacy_components``): normalizer → entity ruler
(KB forms and their generated variants, ``nlu.variants``) → fuzzy matcher for misspellings →
span convention. Rebuild after staff add a synonym: ``make build`` (``python -m bot build``).

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

from kb.db import session_scope
from kb.vocabulary import terms
from nlu import fuzzy, spacy_components  # noqa: F401  (registers the pipeline's factories)
from nlu.variants import REWORDING, patterns

HASH_FILE = "pns_vocabulary.sha256"
PIPELINE_NAME = "pns_en"


# Code that shapes the pipeline's output: a change to it must rebuild the pipeline too.
COMPONENT_SOURCES = (spacy_components.__file__, fuzzy.__file__)


def patterns_hash(ruler_patterns: Sequence[dict[str, Any]]) -> str:
    code = [Path(path).read_text() for path in COMPONENT_SOURCES]
    payload = json.dumps([spacy.__version__, code, list(ruler_patterns)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def current_hash(out_dir: Path) -> str:
    path = out_dir / HASH_FILE
    return path.read_text().strip() if path.exists() else ""


def build(ruler_patterns: Sequence[dict[str, str]], out_dir: Path) -> None:
    """Write the pipeline to ``out_dir`` atomically (readers never see half a pipeline)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("pns_normalizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM", "validate": True})
    ruler.add_patterns([{k: v for k, v in p.items() if k != "tier"} for p in ruler_patterns])
    fuzzy_matcher = nlp.add_pipe("pns_fuzzy_matcher")
    fuzzy_matcher.set_terms(p for p in ruler_patterns if p.get("tier", REWORDING) < REWORDING)
    nlp.add_pipe("pns_entity_spans")
    nlp.meta.update(
        name=PIPELINE_NAME,
        version="1.0.0",
        description="PNS Assistant: blank English + entity ruler built from the knowledge base",
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".spacy-build-", dir=out_dir.parent))
    nlp.to_disk(tmp)
    (tmp / HASH_FILE).write_text(patterns_hash(ruler_patterns) + "\n")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def ensure_pipeline(database_url: str, out_dir: Path) -> tuple[bool, dict[str, list[str]]]:
    """Build the pipeline if the KB vocabulary changed. Returns (rebuilt, ambiguous forms)."""
    with session_scope(database_url) as session:
        ruler_patterns, ambiguous = patterns(terms(session))
    if current_hash(out_dir) == patterns_hash(ruler_patterns):
        return False, ambiguous
    build(ruler_patterns, out_dir)
    return True, ambiguous
