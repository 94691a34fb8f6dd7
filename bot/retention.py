"""Delete conversations older than the retention period from the tracker store.

Conversations hold what patients typed about their health; the clinic keeps them only as
long as it needs them (``PNS_RETENTION_DAYS``, default 30). A conversation is old when
its *latest* event is older than the cut-off, so an ongoing conversation is never cut in
half. Run it daily (cron or a systemd timer): ``python -m bot retention``.
Works on the SQL tracker store (``PNS_TRACKER_STORE_URL``); the in-memory default keeps
nothing past a restart anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from kb.db import engine_for

DEFAULT_RETENTION_DAYS = 30
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
