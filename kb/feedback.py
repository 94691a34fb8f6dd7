"""What patients tell staff without meaning to: feedback on answers, unanswered questions.

Stored without sender ids; free text has identifiers (e-mail, phone, SNILS, OMS policy,
passport, dates, self-introduced names: :mod:`kb.redaction`) redacted before it is written,
because patients sometimes type their contact details into a chat. Each row carries the keyed
hash of its conversation (:func:`kb.privacy.conversation_key`), never the id itself, so a
patient's erasure request can find it and nothing else can link it to a person.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from kb.models import Feedback, UnansweredQuestion
from kb.redaction import redact as redact_identifiers

MAX_TEXT = 2000
UNANSWERED_REASONS = ("low_confidence", "no_answer", "unknown_entity")


def redact_contacts(text: str) -> str:
    """Replace every identifier :mod:`kb.redaction` knows (kept name: older callers)."""
    return redact_identifiers(text)


def redact(text: str) -> str:
    """Replace identifiers; cap the length."""
    return redact_identifiers(text)[:MAX_TEXT]


def record_feedback(
    session: Session,
    intent: str,
    answer_ids: Iterable[int],
    entities: Iterable[tuple[str, str]],
    helpful: bool,
    conversation_key: str | None = None,
    lang: str | None = None,
) -> Feedback:
    """Store one "Was this helpful?" answer; ``lang`` is the conversation's language."""
    row = Feedback(
        conversation_key=conversation_key,
        lang=lang,
        intent=intent[:64],
        answer_ids=",".join(str(i) for i in answer_ids)[:200],
        entities=",".join(f"{k}:{v}" for k, v in entities)[:300],
        helpful=1 if helpful else 0,
    )
    session.add(row)
    return row


def record_unanswered(
    session: Session,
    text: str,
    reason: str,
    intent: str | None = None,
    confidence: float | None = None,
    conversation_key: str | None = None,
    lang: str | None = None,
) -> UnansweredQuestion | None:
    """Store a question the bot could not answer; blank text is not worth keeping."""
    if reason not in UNANSWERED_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    clean = redact(text or "").strip()
    if not clean:
        return None
    row = UnansweredQuestion(
        text=clean,
        reason=reason,
        predicted_intent=intent,
        confidence=confidence,
        conversation_key=conversation_key,
        lang=lang,
    )
    session.add(row)
    return row
