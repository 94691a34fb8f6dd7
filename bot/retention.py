"""Delete what patients left behind once the retention period is over, from every store.

Conversations hold what patients typed about their health; the clinic keeps them only as
long as it needs them (``PNS_RETENTION_DAYS``, default 30). Run it daily (cron or a systemd
timer): ``python -m bot retention``. It covers every table that holds patient text or links
to a conversation:

- the SQL tracker store's ``events`` (``PNS_TRACKER_STORE_URL``): a conversation is old when
  its *latest* event is older than the cut-off, so an ongoing one is never cut in half (the
  in-memory default keeps nothing past a restart anyway);
- the KB's ``feedback``, ``unanswered_question`` and ``consent`` rows older than the cut-off
  (a consent record by its last change); the bare fact of an erasure (``consent`` with status
  ``erased``) is kept for ``PNS_ERASURE_RECORD_DAYS`` (default 365) as proof the request was
  honoured — how long is for the clinic's lawyer to confirm.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from kb.db import engine_for, session_scope
from kb.privacy import KbRetentionReport, delete_old_rows

DEFAULT_RETENTION_DAYS = 30
DEFAULT_ERASURE_RECORD_DAYS = 365
DAY_S = 86400.0


def cutoff(now: float, days: float) -> float:
    """The Unix time before which a conversation's last event makes it deletable."""
    if days <= 0:
        raise ValueError("the retention period must be a positive number of days")
    return now - days * DAY_S


@dataclass(frozen=True)
class RetentionReport:
    conversations: int
    events: int


def delete_old_conversations(url: str, days: float, now: float | None = None) -> RetentionReport:
    """Delete every conversation whose last event is older than ``days``; what was deleted.

    One transaction: a conversation is either removed with all its events or kept.
    """
    events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
    limit = cutoff(time.time() if now is None else now, days)
    old = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < limit)
    )
    engine = engine_for(url)
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return RetentionReport(0, 0)
        senders = [row[0] for row in connection.execute(old)]
        deleted = 0
        for start in range(0, len(senders), 500):
            batch = senders[start : start + 500]
            deleted += connection.execute(
                sa.delete(events).where(events.c.sender_id.in_(batch))
            ).rowcount
    return RetentionReport(len(senders), deleted)


def delete_old_kb_rows(
    kb_url: str,
    days: float,
    erasure_record_days: float = DEFAULT_ERASURE_RECORD_DAYS,
    now: float | None = None,
) -> KbRetentionReport:
    """Delete the KB's feedback, unanswered questions and consent records past retention."""
    moment = time.time() if now is None else now
    before = datetime.fromtimestamp(cutoff(moment, days), UTC)
    facts_before = datetime.fromtimestamp(cutoff(moment, max(days, erasure_record_days)), UTC)
    with engine_for(kb_url).connect() as connection:
        if not sa.inspect(connection).has_table("consent"):
            return KbRetentionReport(0, 0, 0)  # no KB here (or not migrated): nothing kept
    with session_scope(kb_url) as session:
        return delete_old_rows(session, before, facts_before)
