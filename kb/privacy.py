"""A patient's data in the KB tables: consent records, and erasure, export and retention.

Three KB tables hold something about a conversation: ``consent`` (what the patient decided),
``feedback`` and ``unanswered_question`` (what staff learn from). None of them stores the
conversation id a channel uses (a Telegram chat id, the widget's session id): they store its
*keyed hash* (:func:`conversation_key`, HMAC-SHA256 with the deployment's secret
``PNS_PRIVACY_KEY``). The same key is what the tracker store keeps instead of the sender id
(:mod:`bot.tracker_store`), so one conversation id finds everything stored for it, while a
copy of the database alone cannot be linked back to a chat account.

Erasure removes feedback and unanswered questions and reduces the consent record to the fact
of erasure and its time (proof that the request was honoured, nothing else).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kb.models import Consent, Feedback, UnansweredQuestion
from kb.settings import PRIVACY_KEY_VAR

NOTICE_VERSION_SETTING = "privacy_notice_version"
DEFAULT_NOTICE_VERSION = "1"
#: KB phrases the privacy actions read (``python -m kb validate`` reports missing ones).
PRIVACY_PHRASE_KEYS: tuple[str, ...] = (
    "privacy.notice",
    "privacy.operator",
    "privacy.operator_missing",
    "privacy.consent_question",
    "privacy.telegram_warning",
    "privacy.consent_declined",
)
PRIVACY_SETTINGS: tuple[str, ...] = (
    NOTICE_VERSION_SETTING,
    "privacy_operator_name",
    "privacy_operator_contact",
)


def privacy_key(environ: dict[str, str] | None = None) -> str:
    """The deployment's hashing secret: the environment, else ``.env`` (generated if absent).

    Every process that stores or looks up a conversation (Rasa servers, action servers, the
    staff commands) must use the same key; ``python -m bot run`` generates it into ``.env``
    on first run, like the other secrets.
    """
    env = os.environ if environ is None else environ
    if env.get(PRIVACY_KEY_VAR):
        return env[PRIVACY_KEY_VAR]
    from kb.settings import ensure_privacy_key  # the one place that writes the key

    return ensure_privacy_key()


def conversation_key(conversation_id: str, key: str | None = None) -> str:
    """The keyed hash stored instead of a conversation id (64 hex characters)."""
    secret = (key if key is not None else privacy_key()).encode()
    return hmac.new(secret, str(conversation_id).encode(), hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def record_consent(
    session: Session, key: str, status: str, notice_version: str, now: datetime | None = None
) -> Consent:
    """Record a decision (given, declined, withdrawn) for the conversation with ``key``."""
    if status not in ("given", "declined", "withdrawn"):
        raise ValueError(f"unknown consent decision {status!r}")
    now = now or _now()
    row = session.execute(select(Consent).where(Consent.conversation_key == key)).scalar()
    if row is None:
        row = Consent(conversation_key=key, status=status)
        session.add(row)
    row.status = status
    row.notice_version = notice_version
    row.erased_at = None
    if status == "given":
        row.given_at, row.withdrawn_at = now, None
    elif status == "withdrawn":
        row.withdrawn_at = now
    row.updated_at = now
    return row


@dataclass(frozen=True)
class ErasureReport:
    feedback: int
    unanswered: int
    consent: bool

    @property
    def rows(self) -> int:
        return self.feedback + self.unanswered


def erase_rows(session: Session, key: str) -> tuple[int, int]:
    """Delete the conversation's feedback and unanswered questions; how many of each."""
    feedback = session.execute(delete(Feedback).where(Feedback.conversation_key == key)).rowcount
    unanswered = session.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.conversation_key == key)
    ).rowcount
    return int(feedback or 0), int(unanswered or 0)


def erase_conversation(session: Session, key: str, now: datetime | None = None) -> ErasureReport:
    """Delete the conversation's feedback and questions; keep only the fact of erasure."""
    now = now or _now()
    feedback, unanswered = erase_rows(session, key)
    row = session.execute(select(Consent).where(Consent.conversation_key == key)).scalar()
    if row is None:
        row = Consent(conversation_key=key, status="erased")
        session.add(row)
    row.status, row.notice_version = "erased", None
    row.given_at = row.withdrawn_at = None
    row.erased_at = row.updated_at = now
    return ErasureReport(feedback, unanswered, True)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_conversation(session: Session, key: str) -> dict[str, Any]:
    """Everything the KB holds for the conversation, for a subject-access request."""
    consent = session.execute(select(Consent).where(Consent.conversation_key == key)).scalar()
    feedback = session.execute(
        select(Feedback).where(Feedback.conversation_key == key).order_by(Feedback.id)
    ).scalars()
    questions = session.execute(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.conversation_key == key)
        .order_by(UnansweredQuestion.id)
    ).scalars()
    return {
        "consent": None
        if consent is None
        else {
            "status": consent.status,
            "notice_version": consent.notice_version,
            "given_at": _iso(consent.given_at),
            "withdrawn_at": _iso(consent.withdrawn_at),
            "erased_at": _iso(consent.erased_at),
        },
        "feedback": [
            {
                "created_at": _iso(f.created_at),
                "intent": f.intent,
                "answer_ids": f.answer_ids,
                "entities": f.entities,
                "helpful": bool(f.helpful),
            }
            for f in feedback
        ],
        "unanswered_questions": [
            {
                "created_at": _iso(q.created_at),
                "text": q.text,
                "reason": q.reason,
                "predicted_intent": q.predicted_intent,
            }
            for q in questions
        ],
    }


@dataclass(frozen=True)
class KbRetentionReport:
    feedback: int
    unanswered: int
    consent: int


def delete_old_rows(
    session: Session, before: datetime, erasure_facts_before: datetime
) -> KbRetentionReport:
    """Delete feedback, questions and consent records older than the cut-off.

    A consent record counts from its last change; the fact of an erasure is kept until
    ``erasure_facts_before`` (usually longer: it proves a request was honoured).
    """
    feedback = session.execute(delete(Feedback).where(Feedback.created_at < before)).rowcount
    unanswered = session.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.created_at < before)
    ).rowcount
    consent = session.execute(
        delete(Consent).where(Consent.status != "erased", Consent.updated_at < before)
    ).rowcount
    consent += session.execute(
        delete(Consent).where(Consent.status == "erased", Consent.updated_at < erasure_facts_before)
    ).rowcount
    return KbRetentionReport(feedback or 0, unanswered or 0, consent or 0)
