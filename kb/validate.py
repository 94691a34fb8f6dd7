"""``python -m kb validate``: what is wrong with the content in the database, item by item.

Import and publish already refuse bad content; this finds what slipped in another way (rows
edited directly, content from before a rule existed) and what is *missing*: contract ids of
:mod:`kb.contract` without an entry, knowledge intents without a general answer, phrases the
composer needs, answers for intents the assistant never answers from the KB. Open changes
are checked too, so reviewers see problems before publishing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kb import revisions
from kb.answers import PHRASE_KEYS
from kb.contract import ANSWER_INTENTS, ENTITY_IDS, KNOWLEDGE_INTENTS
from kb.errors import ContentError
from kb.items import LiveContent, Ref, entity_ref
from kb.payloads import Known, known_in, recheck, synonym_clashes

REQUIRED_SETTINGS: tuple[str, ...] = ("emergency_number",)


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
        (Ref("phrase", (key,)), "phrase used by the answers is missing") for key in PHRASE_KEYS
    ]
    wanted += [(Ref("setting", (key,)), "setting is missing") for key in REQUIRED_SETTINGS]
    wanted += [(Ref("centre"), "the referral centre is missing")]
    return [Problem(str(ref), message) for ref, message in wanted if ref not in live]


def validate(session: Session) -> list[Problem]:
    """Every problem found, live content first, then open changes and history."""
    live = LiveContent(session).items()
    known = known_in(live)
    problems = missing(live)
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
