"""Staff accounts, login sessions and the audit log of the admin web UI: their tables.

They live in the KB database (one backup, one migration history) and on the same
declarative ``Base`` as the content (:mod:`kb.models`), but they are not content: no
revisions, no review. What the accounts may do is decided in :mod:`bot.web.admin`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from kb.models import Base


def _now() -> datetime:
    return datetime.now(UTC)


#: Staff roles of the admin web UI (:mod:`bot.web.admin.roles` says what each may do).
STAFF_ROLES: tuple[str, ...] = ("editor", "reviewer", "admin")


class StaffUser(Base):
    """A clinic staff account of the admin web UI. Only a password *hash* is stored.

    ``username`` is also the name written into the content history (``Revision.author``),
    so the four-eyes rule of :mod:`kb.review` compares the same names the UI logs in with.
    """

    __tablename__ = "staff_user"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(16), nullable=False)  # STAFF_ROLES
    active = Column(Integer, nullable=False, default=1)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False)
    created_by = Column(String(64))
    last_login_at = Column(DateTime(timezone=True))


class StaffSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored,
    so a leaked database does not hand out live sessions."""

    __tablename__ = "staff_session"

    token_hash = Column(String(64), primary_key=True)
    user_id = Column(ForeignKey("staff_user.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False)
    last_seen_at = Column(DateTime(timezone=True), default=_now, nullable=False)

    user = relationship(StaffUser, lazy="joined")


class AuditEvent(Base):
    """Who did what and when: logins (also failed ones, which throttling counts), logouts,
    review and publish actions, account changes, rebuilds."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_action_time", "action", "created_at"),)

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False, index=True)
    username = Column(String(64))  # as typed for failed logins (capped), else the account
    client = Column(String(64))  # the client's address (throttling per address)
    action = Column(String(32), nullable=False)
    item_ref = Column(String(200))
    detail = Column(Text)
