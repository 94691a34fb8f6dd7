"""What patients tell staff without meaning to: feedback on answers, unanswered questions.

Stored without sender ids; free text has e-mail addresses and phone-like numbers redacted
before it is written, because patients sometimes type their contact details into a chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from kb.models import Feedback, UnansweredQuestion

MAX_TEXT = 2000
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
UNANSWERED_REASONS = ("low_confidence", "no_answer", "unknown_entity")


def redact_contacts(text: str) -> str:
    """Replace e-mail addresses and phone numbers (also used on log messages)."""
    return _PHONE.sub("[number]", _EMAIL.sub("[email]", text))


def redact(text: str) -> str:
    """Replace e-mail addresses and phone numbers; cap the length."""
    return redact_contacts(text)[:MAX_TEXT]


def record_feedback(
    session: Session,
    intent: str,
    answer_ids: Iterable[int],
    entities: Iterable[tuple[str, str]],
    helpful: bool,
) -> Feedback:
    row = Feedback(
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
) -> UnansweredQuestion | None:
    """Store a question the bot could not answer; blank text is not worth keeping."""
    if reason not in UNANSWERED_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    clean = redact(text or "").strip()
    if not clean:
        return None
    row = UnansweredQuestion(
        text=clean, reason=reason, predicted_intent=intent, confidence=confidence
    )
    session.add(row)
    return row
