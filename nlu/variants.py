"""Surface forms of KB terms: case, hyphen and space variants, antibody name patterns, and
(through ``nlu.lay_grammar``) the rewordings patients build from them.

Patients write "anti-Yo", "anti yo", "antiYo", "Yo antibody" and lab reports "PCA-1"; staff
should only have to enter one or two of them as synonyms. Matching is case-insensitive (the
entity ruler compares lower-cased tokens), so forms here are lower-case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import product
from typing import Any

from kb.vocabulary import Term
from nlu.lay_grammar import body_part_patterns, collect_states, lay_forms

_ANTI = re.compile(r"^anti[- ]?(?=\S)")
_AB_SUFFIX = re.compile(r"[- ](antibody|antibodies|ab|abs)$")


def normalise(text: str) -> str:
    """Lower-case, single spaces, no surrounding punctuation or quotes."""
    return " ".join(text.lower().split()).strip(" .,;:!?\"'()")


def spacing_variants(form: str) -> set[str]:
    """Each hyphen also as a space or nothing, each space of a short compound also as a hyphen.

    "non-small-cell lung cancer" → "non-small cell lung cancer", "non small cell lung cancer", …
    Every hyphen varies on its own because patients mix them ("non-small cell"). Forms with so
    many separators that the combinations explode vary all hyphens together instead.
    """
    parts = re.split(r"([- ])", form)
    short = len(form.split()) <= 3
    options = [
        ["-", " ", ""]
        if part == "-"
        else ([" ", "-"] if short else [" "])
        if part == " "
        else [part]
        for part in parts
    ]
    if sum(len(o) > 1 for o in options) > 5:
        forms = {form, form.replace("-", " "), form.replace("-", "")}
    else:
        forms = {"".join(choice) for choice in product(*options)}
    return {" ".join(f.split()) for f in forms if f.strip()}


def antibody_core(form: str) -> str:
    """``anti-yo antibodies`` → ``yo``: the antibody's own name without prefix/suffix."""
    return _AB_SUFFIX.sub("", _ANTI.sub("", form)).strip(" -")


def antibody_variants(form: str) -> set[str]:
    """The ways an antibody named ``form`` is written in messages and lab reports.

    A bare name ("yo") stays a form only because staff listed it; the prefixed and suffixed
    forms ("anti-yo", "yo antibody") are always safe to add.
    """
    forms = {form}
    core = antibody_core(form)
    if core:
        forms |= {
            f"anti-{core}",
            f"anti {core}",
            f"{core} antibody",
            f"{core} antibodies",
            f"anti-{core} antibody",
            f"anti-{core} antibodies",
        }
        if " " not in core:
            forms.add(f"anti{core}")
    return forms


def surface_forms(term: Term) -> set[str]:
    """Every lower-case spelling of ``term``'s KB names (spacing and antibody variants)."""
    forms: set[str] = set()
    for name in term.names:
        base = normalise(name)
        if not base:
            continue
        candidates = antibody_variants(base) if term.kind == "antibody" else {base}
        for candidate in candidates:
            forms |= spacing_variants(candidate)
    return forms


def reworded_forms(term: Term) -> set[str]:
    """Forms patients build from the KB names: other persons, verb forms, no head noun."""
    forms: set[str] = set()
    for name in term.names:
        base = normalise(name)
        for variant in lay_forms(term.kind, base) if base else ():
            forms |= spacing_variants(variant)
    return forms


# Tiers of confidence in a form: what staff typed, its spellings, then rewordings. A form
# claimed by two entities goes to the entity with the lower tier; within a tier it is dropped.
EXACT, SPELLING, REWORDING = 0, 1, 2


def tiered_forms(term: Term) -> dict[str, int]:
    """Each form of ``term`` with its tier."""
    tiers: dict[str, int] = {}
    for form in reworded_forms(term):
        tiers[form] = REWORDING
    for form in surface_forms(term):
        tiers[form] = SPELLING
    for name in term.names:
        if normalise(name):
            tiers[normalise(name)] = EXACT
    return tiers


def patterns(terms: Iterable[Term]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Entity-ruler patterns for all terms, and the KB forms dropped as ambiguous.

    Phrase patterns carry their ``tier`` (the pipeline builder strips it for the ruler and
    gives the fuzzy matcher only the forms below ``REWORDING``).

    A form staff gave to two different entities (e.g. "VGKC" for LGI1 and CASPR2) cannot be
    resolved by the ruler, so it is left out and reported. A generated rewording that
    collides with another entity's form yields to it silently (see the tiers above).
    """
    terms = list(terms)
    owners: dict[str, dict[int, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for term in terms:
        for form, tier in tiered_forms(term).items():
            owners[form][tier].add((term.kind, term.key))
    result: list[dict[str, Any]] = []
    ambiguous: dict[str, list[str]] = {}
    for form in sorted(owners):
        tier = min(owners[form])
        claimed = sorted(owners[form][tier])
        if len(claimed) > 1:
            if tier < REWORDING:
                ambiguous[form] = [f"{kind}:{key}" for kind, key in claimed]
            continue
        kind, key = claimed[0]
        result.append({"label": kind, "pattern": form, "id": key, "tier": tier})
    result += body_part_rules(terms)
    return result, ambiguous


def body_part_rules(terms: Iterable[Term]) -> list[dict[str, Any]]:
    """Token patterns for "<body part> is <state>" built from two-word symptom forms.

    A (body part, state) pair listed for two symptoms is ambiguous and left out.
    """
    states: dict[tuple[str, str], dict[str, set[str]]] = {}
    claims: dict[tuple[str, str], set[str]] = defaultdict(set)
    for term in terms:
        if term.kind != "symptom":
            continue
        found = collect_states(normalise(name) for name in term.names)
        states[(term.kind, term.key)] = found
        for group, words in found.items():
            for word in words:
                claims[(group, word)].add(term.key)
    result: list[dict[str, Any]] = []
    for (kind, key), found in sorted(states.items()):
        unique = {g: {w for w in ws if len(claims[(g, w)]) == 1} for g, ws in found.items()}
        result += body_part_patterns(kind, key, {g: ws for g, ws in unique.items() if ws})
    return result
