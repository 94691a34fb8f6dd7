"""Which language versions are missing: one rule for seed files and the database.

Every item with patient-facing text (entity, answer, phrase, centre) must exist in every
language of :data:`~kb.models.LANGS`, with the same {placeholders} in each phrase and every
centre text field the English has. A gap is reported, never filled from another language: a
Russian patient must not get an English sentence (the composer answers with the "answer
missing" phrase of their language instead, see :meth:`kb.answers.Composer.compose`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb.items import TRANSLATED_FIELDS, Ref, sorted_refs
from kb.models import BASE_LANG, LANGS, Centre
from kb.payloads import placeholders

LANG_NAMES: dict[str, str] = {"en": "English", "ru": "Russian"}


@dataclass(frozen=True)
class Gap:
    """One missing or inconsistent language version."""

    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}"


def other_langs() -> tuple[str, ...]:
    return tuple(lang for lang in LANGS if lang != BASE_LANG)


def language_gaps(items: Mapping[Ref, Mapping[str, Any]]) -> list[Gap]:
    """Every English item lacking a language version, and versions that do not match it."""
    gaps: list[Gap] = []
    for ref in sorted_refs(items):
        if ref.translated or ref.type not in TRANSLATED_FIELDS:
            continue
        english = items[ref]
        for lang in other_langs():
            version = items.get(ref.in_lang(lang))
            if version is None:
                gaps.append(Gap(str(ref.in_lang(lang)), f"no {LANG_NAMES[lang]} version"))
                continue
            gaps += _mismatches(ref.in_lang(lang), english, version)
    return gaps


def _mismatches(ref: Ref, english: Mapping[str, Any], version: Mapping[str, Any]) -> list[Gap]:
    found: list[Gap] = []
    name = LANG_NAMES[ref.lang]
    if ref.type == "phrase":
        want, have = placeholders(english["text"]), placeholders(version["text"])
        if want != have:
            found.append(
                Gap(
                    str(ref),
                    f"placeholders {sorted(have)} differ from the English {sorted(want)}",
                )
            )
    if ref.type == "centre":
        for field in Centre.TEXT_FIELDS:
            if english.get(field) and not version.get(field):
                found.append(Gap(str(ref), f"'{field}' is filled in English but not in {name}"))
            elif version.get(field) and not english.get(field):
                found.append(Gap(str(ref), f"'{field}' is filled in {name} but not in English"))
    return found
