"""``python -m kb validate``: what is wrong with the content in the database, item by item.

Import and publish already refuse bad content; this finds what slipped in another way (rows
edited directly, content from before a rule existed) and what is *missing*: contract ids of
:mod:`kb.contract` without an entry, knowledge intents without a general answer, phrases the
composer needs, answers for intents the assistant never answers from the KB. Open changes
are checked too, so reviewers see problems before publishing.

Languages: every entity, answer, phrase and the centre must exist in every language
(:mod:`kb.languages`); a required phrase or answer is reported missing per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kb import readability, revisions
from kb.answers import PHRASE_KEYS
from kb.contract import ANSWER_INTENTS, ENTITY_IDS, KNOWLEDGE_INTENTS
from kb.errors import ContentError
from kb.items import TRANSLATED_FIELDS, LiveContent, Ref, entity_ref
from kb.languages import LANG_NAMES, language_gaps
from kb.loader import CONTENT_DIR
from kb.models import LANGS
from kb.payloads import Known, known_in, recheck, synonym_clashes
from kb.privacy import PRIVACY_PHRASE_KEYS, PRIVACY_SETTINGS

REQUIRED_SETTINGS: tuple[str, ...] = ("emergency_number", "ambulance_number", *PRIVACY_SETTINGS)


@dataclass(frozen=True)
class Problem:
    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}"


def _check(ref: Ref, item: Mapping[str, Any], label: str, known: Known) -> list[Problem]:
    """The rules imports enforce (sources, dangling ids, empty or oversize text…)."""
    try:
        recheck(ref, item, label, known)
    except ContentError as exc:
        return [Problem(str(ref), str(exc).removeprefix(f"{label}: "))]
    return []


def missing(live: Mapping[Ref, Any]) -> list[Problem]:
    """Contract ids, knowledge intents, phrases, settings and the centre without an entry."""
    wanted = [
        (entity_ref(kind, key), "contract id has no entry")
        for kind, keys in ENTITY_IDS.items()
        for key in keys
    ]
    wanted += [
        (Ref("answer", (intent,)), "knowledge intent has no general answer")
        for intent in KNOWLEDGE_INTENTS
    ]
    wanted += [
        (Ref("phrase", (key,)), "phrase used by the answers is missing")
        for key in (*PHRASE_KEYS, *PRIVACY_PHRASE_KEYS)
    ]
    wanted += [(Ref("centre"), "the referral centre is missing")]
    # the same in every language: a Russian reply needs its Russian phrase as much
    wanted = [
        (ref.in_lang(lang), message if lang == ref.lang else f"{message} ({LANG_NAMES[lang]})")
        for ref, message in wanted
        for lang in (LANGS if ref.type in TRANSLATED_FIELDS else (ref.lang,))
    ]
    wanted += [(Ref("setting", (key,)), "setting is missing") for key in REQUIRED_SETTINGS]
    return [Problem(str(ref), message) for ref, message in wanted if ref not in live]


def readability_problems(
    live: Mapping[Ref, Mapping[str, Any]], notes: Mapping[str, str]
) -> list[Problem]:
    """English patient texts above grade 9 with no written reason (issue 13 item 6)."""
    texts = [
        (str(ref), item["description"] if ref.type == "entity" else item["text"])
        for ref, item in live.items()
        if ref.type in ("entity", "answer", "phrase") and not ref.translated
    ]
    return [
        Problem(
            s.ref,
            f"Flesch-Kincaid grade {s.grade:.1f} is above {readability.MAX_GRADE:g}: make it "
            f"plainer or give the reason in kb/content/{readability.NOTES_FILE}",
        )
        for s in readability.too_hard(texts, dict(notes))
    ]


def gaps(items: Mapping[Ref, Any]) -> list[Problem]:
    """Missing items and language versions of ``items`` (live content or the seed files)."""
    problems = missing(items)
    reported = {p.ref for p in problems}
    problems += [Problem(g.ref, g.message) for g in language_gaps(items) if g.ref not in reported]
    return problems


def validate(session: Session) -> list[Problem]:
    """Every problem found, live content first, then open changes and history."""
    live = LiveContent(session).items()
    known = known_in(live)
    problems = gaps(live)
    problems += readability_problems(live, readability.load_notes(CONTENT_DIR))
    for ref, item in live.items():
        problems += _check(ref, item, str(ref), known)
    problems += [
        Problem(str(ref), "the assistant never shows answers for this intent")
        for ref in live
        if ref.type == "answer" and ref.parts[0] not in ANSWER_INTENTS
    ]
    problems += [
        Problem(", ".join(str(r) for r in refs), f"duplicate synonym {form!r}")
        for form, refs in synonym_clashes(live).items()
    ]

    published = revisions.published_revisions(session)
    for ref, item in live.items():
        revision = published.get(ref)
        if revision is None:
            problems.append(
                Problem(str(ref), "no recorded version (changed outside the review workflow)")
            )
        elif revisions.payload(revision) != item:
            problems.append(
                Problem(
                    str(ref),
                    f"live content differs from published v{revision.version} "
                    f"(changed outside the review workflow)",
                )
            )

    pending = revisions.open_revisions(session)
    known_pending = known_in(live, pending)
    for ref, revision in pending.items():
        label = f"open v{revision.version}"
        for problem in _check(ref, revisions.payload(revision), label, known_pending):
            problems.append(Problem(str(ref), f"{label}: {problem.message}"))
        current = published.get(ref)
        if (current.version if current else None) != revision.base_version:
            problems.append(
                Problem(
                    str(ref),
                    f"{label} was made against v{revision.base_version}, but "
                    f"v{current.version if current else '?'} is live: edit it again",
                )
            )
    return problems
