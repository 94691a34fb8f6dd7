"""spaCy components of the project's pipeline (registered on import).

The pipeline is ``pns_normalizer → entity_ruler → pns_fuzzy_matcher → pns_ru_matcher →
pns_entity_spans``:

- ``pns_normalizer`` writes a spelling-neutral ``NORM`` for every token, so "can't", "cant"
  and "cannot" (all "can not"), "I'm"/"im" ("i am") and "she's"/"shes" ("she is") match the
  same KB pattern; the entity ruler compares ``NORM``;
- ``pns_fuzzy_matcher`` adds entities for misspelt KB terms the ruler missed (``nlu.fuzzy``);
- ``pns_ru_matcher`` finds the Russian KB terms in any inflection (``nlu.russian``), on
  messages with Cyrillic letters only;
- ``pns_entity_spans`` makes spans follow the annotation convention of the NLU data: an
  antibody's span is its name ("[anti-Yo] antibodies"), without the generic "antibody".

Any process that loads the pipeline must import this module first (``nlu.kb_entities`` and
``nlu.spacy_pipeline`` do), because spaCy looks factories up by name. (No ``from __future__
import annotations`` here: spaCy validates factory signatures from real type objects.)
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlu import russian
from nlu.fuzzy import FuzzyMatcher, Term

# Clitics the English tokenizer splits off but leaves with a different norm than the full word.
_SUBJECT_IS = {"he", "she", "it", "that", "there", "what", "who", "where", "here"}
_NORM_AFTER: dict[tuple[str | None, str], str] = {
    ("i", "m"): "am",
    ("i", "'m"): "am",
}
# British and American spellings patients mix freely.
_SPELLING = {
    "tumour": "tumor",
    "tumours": "tumors",
    "behaviour": "behavior",
    "behaviours": "behaviors",
    "diarrhoea": "diarrhea",
    "oesophagus": "esophagus",
    "anaemia": "anemia",
    "gynaecological": "gynecological",
    "paralysed": "paralyzed",
    "centre": "center",
    "haemorrhage": "hemorrhage",
    "programme": "program",
    "disorientated": "disoriented",
}
# Correct everyday words one edit away from a KB word; never read them as typos.
PROTECTED_WORDS = frozenset(
    {
        "floating",  # ≠ bloating
        "tried",  # ≠ tired
        "confuse",  # a verb ("confuse the immune system"), ≠ confused
        "sharing",  # "sharing a cup with her", ≠ shaking
    }
)


def norm_of(previous: str | None, text: str, norm: str) -> str:
    """The norm the ruler compares, from spaCy's own ``norm`` (which already maps n't/nt→not,
    ca→can, 're→are): fix "im" and "she's"/"shes", curly apostrophes and UK/US spellings."""
    low = norm.lower().replace("\u2019", "'")
    if (previous, low) in _NORM_AFTER:
        return _NORM_AFTER[(previous, low)]
    if low in {"s", "'s"} and previous in _SUBJECT_IS:
        return "is"
    return _SPELLING.get(low, low)


@Language.factory("pns_normalizer")
def make_normalizer(nlp: Language, name: str) -> Any:
    return Normalizer()


class Normalizer:
    """Set ``token.norm_`` (see ``norm_of``); runs on pattern texts too, so both sides agree."""

    def __call__(self, doc: Doc) -> Doc:
        previous: str | None = None
        for token in doc:
            token.norm_ = norm_of(previous, token.text, token.norm_)
            previous = token.lower_.replace("\u2019", "'")
        return doc


@Language.factory("pns_fuzzy_matcher")
def make_fuzzy_matcher(nlp: Language, name: str) -> Any:
    return FuzzyEntityMatcher(nlp)


class FuzzyEntityMatcher:
    """Entities for misspelt KB terms (``nlu.fuzzy``), for the forms given to ``set_terms``.

    Only what staff typed and its spellings are fuzzy targets, not the generated rewordings:
    a typo of a rewording is rare, and over-generated forms ("prickl") would attract
    ordinary words ("price"). The terms are saved with the pipeline (``fuzzy_terms.json``).
    """

    FILE = "fuzzy_terms.json"

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        self._phrases: list[dict[str, str]] = []
        self._matcher: FuzzyMatcher | None = None

    def set_terms(self, phrases: Iterable[dict[str, str]]) -> None:
        """``phrases``: entity-ruler style dicts (label, pattern text, id)."""
        self._phrases = [
            {"label": p["label"], "pattern": p["pattern"], "id": p["id"]} for p in phrases
        ]
        self._matcher = None

    def _build(self) -> FuzzyMatcher:
        with self._nlp.select_pipes(enable=["pns_normalizer"]):
            docs = self._nlp.pipe(p["pattern"] for p in self._phrases)
            terms = [
                Term(p["label"], p["id"], tuple(t.norm_ for t in doc))
                for p, doc in zip(self._phrases, docs)
            ]
        return FuzzyMatcher(terms, protected=set(STOP_WORDS) | PROTECTED_WORDS)

    def __call__(self, doc: Doc) -> Doc:
        if self._matcher is None:
            self._matcher = self._build()
        found = self._matcher.find([t.norm_ for t in doc], [(e.start, e.end) for e in doc.ents])
        if found:
            new = [Span(doc, m.start, m.end, label=m.label, span_id=m.key) for m in found]
            kept = [
                e for e in doc.ents if not any(n.start <= e.start and e.end <= n.end for n in new)
            ]
            doc.ents = sorted(kept + new, key=lambda s: s.start)
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / self.FILE).write_text(json.dumps(self._phrases, ensure_ascii=False))

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "FuzzyEntityMatcher":
        self.set_terms(json.loads((path / self.FILE).read_text()))
        return self


GENERIC_ANTIBODY_WORDS = frozenset({"antibody", "antibodies", "ab", "abs"})


def trimmed_end(tokens: Iterable[str], start: int, end: int) -> int:
    """End of an antibody span without trailing generic words (and a hyphen before them)."""
    norms = list(tokens)
    new_end = end
    while new_end - start > 1 and norms[new_end - 1 - start] in GENERIC_ANTIBODY_WORDS:
        new_end -= 1
        if new_end - start > 1 and norms[new_end - 1 - start] == "-":
            new_end -= 1
    return new_end


@Language.factory("pns_entity_spans")
def make_entity_spans(nlp: Language, name: str) -> Any:
    return EntitySpans()


class EntitySpans:
    """Antibody spans end at the antibody's name: "[CRMP5] antibodies", "[anti-Hu] antibody"."""

    def __call__(self, doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            if ent.label_ == "antibody":
                end = trimmed_end((t.norm_ for t in ent), ent.start, ent.end)
                if end != ent.end:
                    ent = Span(doc, ent.start, end, label=ent.label_, span_id=ent.ent_id_)
            ents.append(ent)
        doc.ents = ents
        return doc


@Language.factory("pns_ru_matcher")
def make_ru_matcher(nlp: Language, name: str) -> Any:
    return RussianEntityMatcher(nlp)


class RussianEntityMatcher:
    """Russian KB terms in any case, number and word order (``nlu.russian``).

    Runs only on messages with Cyrillic letters, so English parses are exactly what they were.
    It also writes pymorphy3's lemma into ``token.lemma_`` of Cyrillic words: Rasa's
    featurizers then count «лечат», «лечить», «лечится» as one word, which Russian's many
    endings would otherwise split into rare features. A Russian match replaces the English
    ruler's entities it contains ("Hu" inside «антитела к Hu»), never overlaps one otherwise.
    The KB forms are saved with the pipeline (``ru_terms.json``).
    """

    FILE = "ru_terms.json"

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        self._forms: list[dict[str, str]] = []
        self._matcher: russian.RussianMatcher | None = None

    def set_forms(self, forms: Iterable[dict[str, str]]) -> None:
        """``forms``: entity-ruler style dicts (label, pattern text, id) of Russian KB forms."""
        self._forms = [{"label": f["label"], "pattern": f["pattern"], "id": f["id"]} for f in forms]
        self._matcher = None

    def compile(self) -> tuple["russian.RussianMatcher", dict[str, list[str]]]:
        """The matcher for the forms, and the forms two entities claim (left out)."""
        tokenizer = self._nlp.tokenizer
        patterns, ambiguous = russian.compile_patterns(
            self._forms, lambda text: [t.text for t in tokenizer(text)]
        )
        return russian.RussianMatcher(patterns), ambiguous

    def __call__(self, doc: Doc) -> Doc:
        if not russian.has_cyrillic(doc.text):
            return doc
        for token in doc:
            if russian.has_cyrillic(token.text):
                token.lemma_ = russian.word_info(token.text).lemma
        if self._matcher is None:
            self._matcher = self.compile()[0]
        found = self._matcher.find([t.text for t in doc])
        if not found:
            return doc
        new = []
        for m in found:
            start, end = m.start, m.end
            if m.label == "antibody":
                lemmas = [russian.word_info(t.text).lemma for t in doc[start:end]]
                start, end = russian.trimmed_antibody_span(lemmas, start, end)
            new.append(Span(doc, start, end, label=m.label, span_id=m.key))
        kept = []
        for ent in doc.ents:
            inside = [n for n in new if n.start <= ent.start and ent.end <= n.end]
            if not inside:
                kept.append(ent)
        new = [n for n in new if not any(k.start < n.end and n.start < k.end for k in kept)]
        doc.ents = sorted(kept + new, key=lambda s: s.start)
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / self.FILE).write_text(json.dumps(self._forms, ensure_ascii=False))

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "RussianEntityMatcher":
        self.set_forms(json.loads((path / self.FILE).read_text()))
        return self
