"""How patients reword KB terms: other persons, other verb forms, "my legs are weak".

Staff list a symptom once ("walking like I'm drunk", "weak legs"); patients write "she walks
like she's drunk", "his legs are getting weak", "weak in the legs". The functions here derive
those forms from the KB synonyms, so the vocabulary stays short and the grammar is in one
place. Over-generation is harmless: a form no one writes never matches anything.

All forms are lower-case and space-separated, like ``nlu.variants.normalise`` output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# (subject, be, possessive, reflexive) for each person; first person is how staff write.
PERSONS: tuple[tuple[str, str, str, str], ...] = (
    ("i", "am", "my", "myself"),
    ("he", "is", "his", "himself"),
    ("she", "is", "her", "herself"),
    ("they", "are", "their", "themselves"),
    ("you", "are", "your", "yourself"),
    ("we", "are", "our", "ourselves"),
)
_I_AM = re.compile(r"\bi'?m\b")

IRREGULAR_ING: dict[str, tuple[str, ...]] = {
    "seeing": ("see", "sees", "saw", "seen"),
    "losing": ("lose", "loses", "lost"),
    "forgetting": ("forget", "forgets", "forgot", "forgotten"),
    "hearing": ("hear", "hears", "heard"),
    "throwing": ("throw", "throws", "threw", "thrown"),
    "feeling": ("feel", "feels", "felt"),
    "having": ("have", "has", "had"),
    "getting": ("get", "gets", "got", "gotten"),
    "falling": ("fall", "falls", "fell", "fallen"),
    "going": ("go", "goes", "went", "gone"),
    "keeping": ("keep", "keeps", "kept"),
    "sleeping": ("sleep", "sleeps", "slept"),
    "shaking": ("shake", "shakes", "shook", "shaken"),
    "speaking": ("speak", "speaks", "spoke"),
    "rising": ("rise", "rises", "rose", "risen"),
    "writing": ("write", "writes", "wrote", "written"),
    "thinking": ("think", "thinks", "thought"),
    "making": ("make", "makes", "made"),
    "running": ("run", "runs", "ran"),
}
# First words that are not -ing forms but still change with the subject or tense.
IRREGULAR_WORDS: dict[str, tuple[str, ...]] = {
    "keep": ("keeps", "kept", "keeping"),
    "can't": ("couldn't", "could not", "cannot"),
    "cannot": ("can't", "couldn't", "could not"),
    "cant": ("can't", "couldn't", "could not"),
    "tire": ("tires", "tired", "tiring"),
    "lost": ("losing", "lose", "loses"),
}
_SIBILANT_END = ("s", "sh", "ch", "x", "z")


def _third_person(base: str) -> str:
    if base.endswith("e"):
        return base + "s"
    return base + ("es" if base.endswith(_SIBILANT_END) else "s")


def verb_forms(word: str) -> set[str]:
    """Other forms of a verb written as ``word`` ("walking" → walk, walks, walked)."""
    if word in IRREGULAR_ING:
        return {word, *IRREGULAR_ING[word]}
    if word in IRREGULAR_WORDS:
        return {word, *IRREGULAR_WORDS[word]}
    if not word.endswith("ing") or len(word) < 6:
        return {word}
    stem = word[:-3]
    bases = {stem, stem + "e"}
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
        bases.add(stem[:-1])  # slurring → slur, dropping → drop
    forms = {word}
    for base in bases:
        forms |= {base, _third_person(base)}
    forms.add(stem + ("d" if stem.endswith("e") else "ed"))  # slurred, dropped, walked
    forms |= {b + "d" for b in bases if b.endswith("e")}  # choked, wobbled
    return forms


def person_variants(form: str) -> set[str]:
    """``form`` said of someone else: "losing my balance" → "losing her balance", …"""
    words = _I_AM.sub("i am", form).split()
    first = PERSONS[0]
    if not any(w in first for w in words):
        return {form}
    out = {form}
    for person in PERSONS:
        swap = dict(zip(first, person))
        out.add(" ".join(swap.get(w, w) for w in words))
    return out


def inflected_variants(form: str, single_words: bool) -> set[str]:
    """``form`` with its first word in other verb forms ("walking like…" → "walks like…").

    One-word forms are inflected only when ``single_words`` ("hallucinating" → "hallucinates").
    """
    words = form.split()
    if not words or (len(words) == 1 and not single_words):
        return {form}
    return {" ".join([f, *words[1:]]) for f in verb_forms(words[0])}


TROUBLE_WORDS = ("trouble", "difficulty", "difficulties", "problems", "problem")
TROUBLE_NOUNS = ("problems", "problem", "issues", "trouble", "difficulties")


def trouble_variants(form: str) -> set[str]:
    """ "memory problems" → "problems with my memory"; "trouble walking" → "difficulty walking"."""
    words = form.split()
    out = {form}
    if len(words) == 2 and words[1] in TROUBLE_NOUNS:
        for noun in ("problems", "trouble", "issues", "difficulty"):
            for det in ("", "the ", "my "):
                out.add(f"{noun} with {det}{words[0]}")
    if len(words) >= 2 and words[0] in TROUBLE_WORDS:
        out |= {" ".join([w, *words[1:]]) for w in TROUBLE_WORDS}
    return out


HEAD_NOUNS = ("syndrome", "disease", "disorder")


def without_head_noun(form: str) -> set[str]:
    """ "stiff-person syndrome" → "stiff-person": patients drop the generic head noun.

    Only when at least two words remain, so a single everyday word never becomes a name.
    """
    words = form.split()
    if len(words) >= 2 and words[-1] in HEAD_NOUNS:
        rest = " ".join(words[:-1])
        if len(rest.replace("-", " ").split()) >= 2:
            return {rest}
    return set()


def lay_forms(kind: str, form: str) -> set[str]:
    """Every rewording of one KB form (the form itself included).

    Verb forms only for symptoms: patients describe symptoms with verbs ("she sees things"),
    while tests and treatments are named with nouns.
    """
    out: set[str] = set()
    reworded = trouble_variants(form) if kind == "symptom" else {form}
    for variant in {p for r in reworded for p in person_variants(r)}:
        out |= inflected_variants(variant, single_words=True) if kind == "symptom" else {variant}
    if kind == "syndrome":
        out |= without_head_noun(form)
    return out


# ---------------------------------------------------------------- "my legs are weak"
# Body parts patients name; a symptom listed for one member ("weak legs") holds for the group.
BODY_GROUPS: dict[str, tuple[str, ...]] = {
    "limbs": (
        "legs",
        "leg",
        "arms",
        "arm",
        "hands",
        "hand",
        "feet",
        "foot",
        "fingers",
        "finger",
        "toes",
        "toe",
        "hips",
        "hip",
        "thighs",
        "thigh",
        "knees",
        "knee",
        "muscles",
        "muscle",
        "shoulders",
        "body",
        "back",
        "neck",
        "jaw",
    ),
    "eyes": ("eyes", "eye"),
    "eyelids": ("eyelids", "eyelid", "lids", "lid"),
    "speech": ("speech", "words", "voice", "talking"),
    "vision": ("vision", "sight", "eyesight"),
    "handwriting": ("handwriting", "writing"),
    "mouth": ("mouth",),
    "memory": ("memory",),
    "balance": ("balance", "coordination", "walking", "gait"),
    "ears": ("ears", "ear"),
    "breathing": ("breathing",),
    "thinking": ("thinking", "mind", "head"),
    "sleep": ("sleep",),
    "behaviour": ("behaviour", "behavior", "personality", "mood"),
    "taste": ("taste",),
}
NOUN_GROUP = {noun: group for group, nouns in BODY_GROUPS.items() for noun in nouns}
# Words allowed between the body part and the state: "legs are getting very weak".
LINK_WORDS = (
    "is am are was were be been being feel feels felt feeling seem seems seemed look looks looked "
    "got get gets getting gotten go goes went gone going become becomes became becoming has have "
    "had keep keeps kept keeping still now all both always suddenly constantly sometimes often "
    "also "
    "very really so quite too extremely a bit little kind sort of more much pretty totally "
    "completely rather slightly terribly super awfully increasingly gradually lot"
).split()
DETERMINERS = ("the", "my", "his", "her", "their", "your", "our", "both")


def state_and_part(form: str) -> tuple[str, str] | None:
    """("weak", "limbs") for "weak legs", ("flicking", "eyes") for "eyes flicking".

    None unless the form is <state> <body part>, or <body part> <verb in -ing>: staff write
    "eyes flicking", patients "his eyes flick side to side", "her eyes keep jumping".
    """
    words = form.split()
    if len(words) != 2:
        return None
    if words[1] in NOUN_GROUP and words[0].isalpha():
        return words[0], NOUN_GROUP[words[1]]
    if words[0] in NOUN_GROUP and words[1].isalpha() and words[1].endswith("ing"):
        return words[1], NOUN_GROUP[words[0]]
    return None


def body_part_patterns(
    kind: str, key: str, states_by_group: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """Token patterns "<part> [links] <state>" and "<state> in [the] <part>" for one symptom."""
    patterns: list[dict[str, Any]] = []
    for group, states in sorted(states_by_group.items()):
        forms = sorted({f for s in states for f in verb_forms(s)})
        nouns = list(BODY_GROUPS[group])
        patterns.append(
            {
                "label": kind,
                "id": key,
                "pattern": [
                    {"NORM": {"IN": nouns}},
                    {"NORM": {"IN": LINK_WORDS}, "OP": "*"},
                    {"NORM": {"IN": forms}},
                ],
            }
        )
        patterns.append(
            {
                "label": kind,
                "id": key,
                "pattern": [
                    {"NORM": {"IN": sorted(states)}},
                    {"NORM": "in"},
                    {"NORM": {"IN": list(DETERMINERS)}, "OP": "?"},
                    {"NORM": {"IN": nouns}},
                ],
            }
        )
    return patterns


def collect_states(forms: Iterable[str]) -> dict[str, set[str]]:
    """Body-part group → states, from the two-word forms of one symptom."""
    found: dict[str, set[str]] = {}
    for form in forms:
        pair = state_and_part(form)
        if pair:
            found.setdefault(pair[1], set()).add(pair[0])
    return found
