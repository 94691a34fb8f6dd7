"""Russian KB terms in any case, number and word order: «рак лёгкого», «раком лёгких».

Russian inflects every noun, adjective and verb, so the English approach (a phrase list of
surface forms) would need dozens of forms per synonym. Instead both sides are lemmatised with
pymorphy3 and compared lemma by lemma:

- a word is the set of its possible (lemma, part of speech) readings — pymorphy3 cannot tell
  «лёгкого» (the adjective) from «лёгкого» (the lung) without context, and it need not:
  the text word matches a KB word when their readings share one. Parts of speech keep
  «видел» (to see) apart from «видения» (visions);
- abbreviations and Latin names (МРТ, ЭНМГ, anti-Hu, CV2) are compared by their letters;
  Cyrillic letters that look Latin inside a Latin/digit token («Ма2») are read as Latin;
- hyphens and slashes are transparent («ПЭТ-КТ» = «ПЭТ КТ», «анти-Hu» = «анти Hu»);
- a pattern's chunks (a preposition belongs to the word after it) may come in another order
  («ноги немеют», «в стопах онемение», «рак лёгкого мелкоклеточный»), and up to two
  small words (pronouns, particles, adverbs, prepositions) may stand between its words
  («немеют у него ноги», «опухоль в лёгком»);
- antibody names get the ways Russian patients write them: «анти-Ху», «антиHu», «антитела к
  Yo», «Yo антитела», «anti-Yo»;
- a misspelt word that pymorphy3 does not know is compared fuzzily (``nlu.fuzzy``) with the KB
  lemmas; a word the dictionary knows is taken as written («сладость» is not «слабость»).

Pure Python on token strings; the spaCy component lives in ``nlu.spacy_components``.
Lemmatisation is cached per word (messages repeat words; pymorphy3 costs ~0.3 ms a word).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nlu.fuzzy import FuzzyMatcher
from nlu.fuzzy import Term as FuzzyTerm

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_WORDLIKE = re.compile(r"\w", re.UNICODE)
# Cyrillic letters typed for their Latin look-alikes («Ма2», «СV2»).
_HOMOGLYPHS = str.maketrans("авекмнорстух", "abekmhopctyx")
# Separators inside a term that patients write or leave out freely.
TRANSPARENT = frozenset({"-", "–", "—", "/", "‐"})
# Small words that may stand between the words of a term (pymorphy3 parts of speech).
GAP_POS = frozenset({"NPRO", "PRCL", "ADVB", "PREP"})
MAX_GAP = 2
# Perfective/imperfective and prefixed verbs patients use for the same symptom.
LEMMA_EQUIVALENTS: dict[str, str] = {
    "онеметь": "неметь",
    "занеметь": "неметь",
    "закружиться": "кружиться",
    "подкоситься": "подкашиваться",
    "потерять": "терять",
    "опуститься": "опускаться",
    "заплестись": "заплетаться",
    "раздвоиться": "двоиться",
    "задохнуться": "задыхаться",
    "ослабнуть": "ослабеть",
    "слабеть": "ослабеть",
    "свести": "сводить",
    "подавиться": "давиться",
    "поперхнуться": "поперхиваться",
    "похудеть": "худеть",
    "задёргаться": "дёргаться",
    "задергаться": "дергаться",
    "вспомнить": "запомнить",
    "уснуть": "уснуть",
    "заснуть": "уснуть",
    "засыпать": "уснуть",
}
_COARSE_POS = {
    "VERB": "V",
    "INFN": "V",
    "GRND": "V",
    "PRTF": "V",
    "PRTS": "V",
    "ADJF": "A",
    "ADJS": "A",
    "COMP": "A",
    "NOUN": "N",
}
# Verbs that name a symptom on their own, whatever the subject: «немеет лицо», «всё двоится»,
# «шатает», «задыхается». Taken from a symptom synonym that contains the verb.
VERB_ALONE = frozenset(
    {
        "неметь",
        "кружиться",
        "двоиться",
        "заплетаться",
        "задыхаться",
        "дергаться",
        "шатать",
        "подкашиваться",
        "давиться",
        "поперхиваться",
        "потеть",
    }
)
# «слабость в ногах» is also «слабые ноги», «ноги ослабели»: the adjective (and verb) of a
# symptom noun, next to the body part the synonym names.
NOUN_STATES: dict[str, tuple[str, ...]] = {
    "слабость": ("слабый/A", "ослабеть/V"),
    "онемение": ("неметь/V",),
    "скованность": ("скованный/A",),
    "неловкость": ("неловкий/A",),
    "жжение": ("жечь/V",),
    "покалывание": ("покалывать/V",),
}
# Generic words around an antibody's name: the span is the name itself, as in English.
GENERIC_ANTIBODY_LEMMAS = frozenset({"антитело", "к", "ат"})
ANTIBODY_PREFIXES = ("антитела к ", "антитела ", "анти-", "анти ", "anti-", "anti ")
ANTIBODY_SUFFIXES = (" антитела",)


# Case endings stripped from words pymorphy3 does not know (drug names, abbreviations with an
# ending): «вальпроатом» and «вальпроат», «ВВИГом» and «ВВИГ» share the stem key.
_ENDINGS = tuple(
    sorted(
        (
            "ами ями ого его ому ему ой ей ом ем ам ям ах ях ов ев ую юю ая яя ые ие ых их"
            " а я у ю е ы и о"
        ).split(),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 3


def stem_key(word: str) -> str:
    """The "stem/U" key of an unknown Cyrillic word: lower case without a case ending."""
    low = fold(word)
    for ending in _ENDINGS:
        if low.endswith(ending) and len(low) - len(ending) >= MIN_STEM:
            return low[: -len(ending)] + "/U"
    return low + "/U"


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    import pymorphy3  # imported lazily: only Russian messages need it

    return pymorphy3.MorphAnalyzer(lang="ru")


def fold(word: str) -> str:
    """Lower case, ё→е; a token with Latin letters or digits gets Latin look-alikes."""
    low = word.lower().replace("ё", "е")
    if _LATIN.search(low) or _DIGIT.search(low):
        low = low.translate(_HOMOGLYPHS)
    return low


@dataclass(frozen=True)
class WordInfo:
    """What the matcher needs to know about one word (cached per surface form)."""

    keys: frozenset[str]  # "lemma/POS" readings and the "letters/S" key
    lemma: str  # the most likely lemma (spaCy's token.lemma_, fuzzy matching)
    gap: bool  # a small word that may stand inside a term
    known: bool  # in pymorphy3's dictionary (never read as a typo)


def surface_key(word: str) -> str:
    return fold(word) + "/S"


@lru_cache(maxsize=65536)
def word_info(word: str) -> WordInfo:
    """Readings of ``word``; non-Cyrillic words only by their letters."""
    surface = surface_key(word)
    if not has_cyrillic(word) or _LATIN.search(word) or not word.isalpha():
        return WordInfo(frozenset({surface}), fold(word), False, False)
    morph = _analyzer()
    low = word.lower()
    parses = morph.parse(low)
    keys = {surface}
    for parse in parses:
        lemma = parse.normal_form.replace("ё", "е")
        lemma = LEMMA_EQUIVALENTS.get(lemma, lemma).replace("ё", "е")
        pos = str(parse.tag.POS) if parse.tag.POS else "X"
        keys.add(f"{lemma}/{_COARSE_POS.get(pos, pos)}")
    known = morph.word_is_known(low)
    if not known:
        keys.add(stem_key(low))
    first = parses[0]
    lemma = first.normal_form.replace("ё", "е")
    gap = str(first.tag.POS) in GAP_POS
    return WordInfo(frozenset(keys), lemma, gap, known)


def is_abbreviation(word: str) -> bool:
    """МРТ, ЭНМГ, Hu, CV2, ПЭТ, «Ху»: compared by letters, never lemmatised."""
    letters = [c for c in word if c.isalpha()]
    return (
        not has_cyrillic(word)
        or bool(_LATIN.search(word) or _DIGIT.search(word))
        or (len(letters) >= 2 and all(c.isupper() for c in letters))
        or (len(letters) <= 2 and word[:1].isupper())
    )


def slot_of(word: str) -> frozenset[str]:
    """The keys a text word must share with the KB word ``word`` (short words by letters)."""
    if is_abbreviation(word) or len(word) <= 2:
        keys = {surface_key(word)}
        if has_cyrillic(word) and word.isalpha() and len(word) >= MIN_STEM:
            keys.add(stem_key(word))  # «ВВИГом», «ЭНМГшки» rarely, but «ВВИГа» often
        return frozenset(keys)
    return frozenset(k for k in word_info(word).keys if not k.endswith("/S"))


def content_words(tokens: Iterable[str]) -> list[str]:
    """Pattern words: separators and punctuation dropped."""
    return [t for t in tokens if _WORDLIKE.search(t)]


def chunks(words: Sequence[str]) -> list[list[str]]:
    """Words grouped so that a preposition stays with the word after it."""
    groups: list[list[str]] = []
    pending: list[str] = []
    for word in words:
        pending.append(word)
        low = word.lower()
        attaches = low == "не" or f"{low}/PREP" in word_info(word).keys
        if is_abbreviation(word) or not attaches:
            groups.append(pending)
            pending = []
    if pending:
        if groups:
            groups[-1] += pending
        else:
            groups.append(pending)
    return groups


def word_orders(words: Sequence[str]) -> list[list[str]]:
    """The pattern as written, and with its first chunk moved to the end (for 2–3 chunks):
    «немеют ноги» → «ноги немеют», «мелкоклеточный рак лёгкого» → «рак лёгкого мелкоклеточный»."""
    groups = chunks(words)
    orders = [list(words)]
    if 2 <= len(groups) <= 3:
        rotated = [w for g in groups[1:] + groups[:1] for w in g]
        if rotated != orders[0]:
            orders.append(rotated)
    return orders


def antibody_core(form: str) -> str:
    """«антитела к Yo» → «Yo», «анти-Ху» → «Ху»: the antibody's own name."""
    low = form.lower()
    for prefix in ANTIBODY_PREFIXES:
        if low.startswith(prefix):
            form, low = form[len(prefix) :], low[len(prefix) :]
            break
    for suffix in ANTIBODY_SUFFIXES:
        if low.endswith(suffix):
            form = form[: -len(suffix)]
            break
    return form.strip(" -")


def antibody_forms(form: str) -> set[str]:
    """How Russian patients write an antibody whose KB form is ``form``."""
    forms = {form}
    core = antibody_core(form)
    if not core or " " in core:
        return forms
    if not (is_abbreviation(core) or len(core) <= 4 or not has_cyrillic(core)):
        return forms  # a Russian word («амфифизин»): its own synonyms say how it is written
    forms |= {
        f"анти-{core}",
        f"анти{core}",
        f"anti-{core}",
        f"anti{core}",
        f"антитела к {core}",
        f"антитела {core}",
        f"{core} антитела",
        f"анти-{core} антитела",
        f"антитела анти-{core}",
    }
    return forms


def lay_slots(words: Sequence[str]) -> list[tuple[frozenset[str], ...]]:
    """Rewordings of a Russian symptom synonym (see ``VERB_ALONE`` and ``NOUN_STATES``)."""
    out: list[tuple[frozenset[str], ...]] = []
    for word in words:
        for key in word_info(word).keys:
            lemma, _, pos = key.rpartition("/")
            if pos == "V" and lemma in VERB_ALONE:
                out.append((frozenset({key}),))
    if len(words) == 3 and words[1].lower() in {"в", "во"}:
        nouns = {k.rpartition("/")[0] for k in word_info(words[0]).keys if k.endswith("/N")}
        body = slot_of(words[2])
        for noun in nouns:
            for state in NOUN_STATES.get(noun, ()):
                out += [(frozenset({state}), body), (body, frozenset({state}))]
    return out


@dataclass(frozen=True)
class Pattern:
    label: str
    key: str
    slots: tuple[frozenset[str], ...]
    exact: bool  # a KB form as staff wrote it (fuzzy target), not a generated variant


@dataclass(frozen=True)
class Match:
    start: int  # token indices into the token list given to ``find`` (end exclusive)
    end: int
    label: str
    key: str


def compile_patterns(
    forms: Iterable[dict[str, Any]], tokenize: Any
) -> tuple[list[Pattern], dict[str, list[str]]]:
    """Patterns for KB forms (dicts with label, id, pattern), and forms two entities claim.

    ``tokenize``: text → token strings (the pipeline's tokenizer, so both sides agree).
    """
    claims: dict[tuple[frozenset[str], ...], dict[bool, set[tuple[str, str]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for form in forms:
        texts = {form["pattern"]: True}
        if form["label"] == "antibody":
            for extra in antibody_forms(form["pattern"]):
                texts.setdefault(extra, False)
        for text, exact in texts.items():
            words = content_words(tokenize(text))
            if not words:
                continue
            for n, order in enumerate(word_orders(words)):
                slots = tuple(slot_of(w) for w in order)
                claims[slots][exact and n == 0].add((form["label"], form["id"]))
            if form["label"] == "symptom":
                for slots in lay_slots(words):
                    claims[slots][False].add((form["label"], form["id"]))
    patterns: list[Pattern] = []
    ambiguous: dict[str, list[str]] = {}
    for slots, by_exact in claims.items():
        exact = True in by_exact
        owners = by_exact[True] if exact else by_exact[False]
        if len(owners) > 1:
            if exact:
                name = " ".join(sorted(next(iter(s)) for s in slots))
                ambiguous[name] = sorted(f"{k}:{i}" for k, i in owners)
            continue
        label, key = next(iter(owners))
        patterns.append(Pattern(label, key, slots, exact))
    return patterns, ambiguous


class RussianMatcher:
    """Finds KB terms in a token sequence (see the module docstring)."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._patterns = list(patterns)
        self._by_first: dict[str, list[int]] = defaultdict(list)
        for n, pattern in enumerate(self._patterns):
            for key in pattern.slots[0]:
                self._by_first[key].append(n)
        fuzzy_terms = []
        for p in self._patterns:
            if p.exact:
                lemmas = tuple(_slot_lemma(s) for s in p.slots)
                fuzzy_terms.append(FuzzyTerm(p.label, p.key, lemmas))
        self._fuzzy = FuzzyMatcher(fuzzy_terms)

    def __len__(self) -> int:
        return len(self._patterns)

    def _match_from(self, infos: Sequence[WordInfo], start: int, pattern: Pattern) -> int | None:
        """End (exclusive) of ``pattern`` matched from ``start``, or None."""
        pos = start + 1
        for slot in pattern.slots[1:]:
            skipped = 0
            while pos < len(infos) and not (slot & infos[pos].keys):
                if not infos[pos].gap or skipped == MAX_GAP:
                    return None
                skipped += 1
                pos += 1
            if pos >= len(infos):
                return None
            pos += 1
        return pos

    def find(self, tokens: Sequence[str]) -> list[Match]:
        """Non-overlapping matches, longest first (ties between two entities dropped)."""
        content = [i for i, t in enumerate(tokens) if t not in TRANSPARENT]
        words = [tokens[i] for i in content]
        infos = [word_info(w) if _WORDLIKE.search(w) else _PUNCT for w in words]
        candidates: list[tuple[int, int, str, str]] = []
        for start, info in enumerate(infos):
            seen: set[int] = set()
            for key in info.keys:
                for n in self._by_first.get(key, ()):
                    if n in seen:
                        continue
                    seen.add(n)
                    pattern = self._patterns[n]
                    end = self._match_from(infos, start, pattern)
                    if end is not None:
                        candidates.append((start, end, pattern.label, pattern.key))
        lemmas = [i.lemma for i in infos]
        known = frozenset(i.lemma for i in infos if i.known or not i.keys)
        for m in self._fuzzy.find(lemmas, [(s, e) for s, e, _, _ in candidates], known):
            candidates.append((m.start, m.end, m.label, m.key))
        chosen = select_longest(candidates)
        return [Match(content[s], content[e - 1] + 1, label, key) for s, e, label, key in chosen]


_PUNCT = WordInfo(frozenset(), "", False, True)


def _slot_lemma(slot: frozenset[str]) -> str:
    """One lemma of a pattern slot, for fuzzy matching (stable choice)."""
    return sorted(k.rsplit("/", 1)[0] for k in slot)[0]


def select_longest(
    candidates: Iterable[tuple[int, int, str, str]],
) -> list[tuple[int, int, str, str]]:
    """Greedy: longest span first; equal spans of two different entities are both dropped."""
    by_span: dict[tuple[int, int], set[tuple[str, str]]] = defaultdict(set)
    for s, e, label, key in candidates:
        by_span[(s, e)].add((label, key))
    taken: set[int] = set()
    chosen: list[tuple[int, int, str, str]] = []
    for (s, e), owners in sorted(by_span.items(), key=lambda x: (-(x[0][1] - x[0][0]), x[0][0])):
        if len(owners) != 1 or taken & set(range(s, e)):
            continue
        label, key = next(iter(owners))
        chosen.append((s, e, label, key))
        taken.update(range(s, e))
    return sorted(chosen)


def trimmed_antibody_span(lemmas: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """Span of an antibody's name without «антитела (к)» around it; ``lemmas`` are of the span."""
    s, e = 0, len(lemmas)
    while e - s > 1 and lemmas[s] in GENERIC_ANTIBODY_LEMMAS:
        s += 1
    while e - s > 1 and lemmas[e - 1] in GENERIC_ANTIBODY_LEMMAS:
        e -= 1
    return start + s, start + e
