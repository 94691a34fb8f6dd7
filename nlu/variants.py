"""Surface forms of KB terms: case, hyphen and space variants, antibody name patterns.

Patients write "anti-Yo", "anti yo", "antiYo", "Yo antibody" and lab reports "PCA-1"; staff
should only have to enter one or two of them as synonyms. Matching is case-insensitive (the
entity ruler compares lower-cased tokens), so forms here are lower-case.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

from kb.vocabulary import Term

_ANTI = re.compile(r"^anti[- ]?(?=\S)")
_AB_SUFFIX = re.compile(r"[- ](antibody|antibodies|ab|abs)$")


def normalise(text: str) -> str:
    """Lower-case, single spaces, no surrounding punctuation or quotes."""
    return " ".join(text.lower().split()).strip(" .,;:!?\"'()")


def spacing_variants(form: str) -> set[str]:
    """``a-b`` also as ``a b`` and ``ab``; ``a b`` also as ``a-b`` (for short compounds)."""
    forms = {form}
    if "-" in form:
        forms |= {form.replace("-", " "), form.replace("-", "")}
    if " " in form and len(form.split()) == 2:
        forms.add(form.replace(" ", "-"))
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
            f"anti-{core}", f"anti {core}", f"{core} antibody", f"{core} antibodies",
            f"anti-{core} antibody", f"anti-{core} antibodies",
        }
        if " " not in core:
            forms.add(f"anti{core}")
    return forms


def surface_forms(term: Term) -> set[str]:
    """Every lower-case form that should be recognised as ``term``."""
    forms: set[str] = set()
    for name in term.names:
        base = normalise(name)
        if not base:
            continue
        candidates = antibody_variants(base) if term.kind == "antibody" else {base}
        for candidate in candidates:
            forms |= spacing_variants(candidate)
    return forms


def patterns(terms: Iterable[Term]) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """Entity-ruler patterns for all terms, and the forms dropped as ambiguous.

    A form claimed by two different entities (e.g. "VGKC" for LGI1 and CASPR2) cannot be
    resolved by the ruler, so it is left out and reported.
    """
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for term in terms:
        for form in surface_forms(term):
            owners[form].add((term.kind, term.key))
    result: list[dict[str, str]] = []
    ambiguous: dict[str, list[str]] = {}
    for form in sorted(owners):
        claimed = sorted(owners[form])
        if len(claimed) > 1:
            ambiguous[form] = [f"{kind}:{key}" for kind, key in claimed]
            continue
        kind, key = claimed[0]
        result.append({"label": kind, "pattern": form, "id": key})
    return result, ambiguous
