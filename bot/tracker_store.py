"""Rasa's SQL tracker store, configured by one database URL and riding out short outages.

Rasa's :class:`~rasa.core.tracker_store.SQLTrackerStore` takes dialect, host, port and
database as separate settings; operators of this project give one SQLAlchemy URL
(``PNS_TRACKER_STORE_URL``), as they do for the KB. Two things change for a replicated
deployment on PostgreSQL:

- pooled connections are checked before use (``pool_pre_ping``), so a restarted
  PostgreSQL does not fail the first request on every stale connection;
- a read or write that fails because the database cannot be reached is retried for a
  while (``PNS_STORE_RETRY_S``, default 30 s). Rasa wraps every tracker store in a
  fail-safe that, on an error, answers "no tracker" and saves to memory instead: the
  turn would start a fresh conversation and its events would never reach the database.
  Waiting through a restart keeps the conversation whole.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

DEFAULT_RETRY_S = 30.0
RETRY_PAUSE_S = 0.5
T = TypeVar("T")


def is_connection_error(error: Exception) -> bool:
    """True for "database unreachable / connection lost", not for a bad query."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


class UrlSQLTrackerStore(SQLTrackerStore):
    """Trackers in the database at ``url`` (``tracker_store.url`` in ``endpoints.yml``)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        retry_s: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Rasa passes the endpoint's ``url`` as ``host``."""
        url = url or host
        if not url:
            raise ValueError("UrlSQLTrackerStore needs a database url")
        parsed = make_url(url)
        super().__init__(
            domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )
        self.engine.dispose()
        self.engine = sa.create_engine(parsed, pool_pre_ping=True, **create_engine_kwargs(parsed))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.retry_s = float(retry_s or os.environ.get("PNS_STORE_RETRY_S") or DEFAULT_RETRY_S)

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_s
        while True:
            try:
                return await call()
            except DBAPIError as error:
                if not is_connection_error(error) or time.monotonic() > deadline:
                    raise
                logger.warning(
                    "tracker store unreachable during %s, retrying: %s", what, error.orig
                )
                await asyncio.sleep(RETRY_PAUSE_S)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Retrying is safe: save() counts what is stored and writes only the rest.
        await self._retrying("save", lambda: super(UrlSQLTrackerStore, self).save(tracker))

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._retrying(
            "retrieve", lambda: super(UrlSQLTrackerStore, self).retrieve(sender_id)
        )

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._retrying(
            "retrieve", lambda: super(UrlSQLTrackerStore, self).retrieve_full_tracker(sender_id)
        )

    async def keys(self) -> Iterable[str]:
        return await self._retrying("keys", lambda: super(UrlSQLTrackerStore, self).keys())
