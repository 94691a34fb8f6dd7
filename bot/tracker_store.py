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

Privacy (both this SQL store and :class:`PrivateInMemoryTrackerStore`, the one-machine
default): what a patient typed is stored *redacted* (:func:`redact_event`: e-mail, phone,
SNILS, OMS policy, passport, dates, self-introduced names, via :mod:`kb.redaction`), and the
conversation is stored under the keyed hash of its id (:func:`kb.privacy.conversation_key`),
never the channel's id itself. Redaction happens when the tracker is saved, at the end of the
turn: the model, the rules and the actions of the turn see the message as typed. A turn that
ran an erasing action (:data:`ERASING_ACTIONS`) deletes every stored event of the conversation
instead of saving it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from actions.privacy import erasure_confirmed
from kb.privacy import conversation_key
from kb.redaction import redact, redaction_spans, shift_offset

logger = logging.getLogger(__name__)

DEFAULT_RETRY_S = 30.0
RETRY_PAUSE_S = 0.5
T = TypeVar("T")
#: Actions after which the conversation's stored events are erased (actions/privacy.py).
ERASE_ACTION = "action_erase_conversation"
ERASING_ACTIONS = frozenset({ERASE_ACTION, "action_withdraw_consent"})


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def _redact_entities(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Entities moved to the redacted text; one that overlapped an identifier is dropped."""
    spans = redaction_spans(text)
    kept = []
    for entity in entities:
        entity = dict(entity)
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            if any(s.start < end and start < s.end for s in spans):
                continue
            entity["start"], entity["end"] = shift_offset(spans, start), shift_offset(spans, end)
        for field in ("value", "text"):
            if isinstance(entity.get(field), str):
                entity[field] = redact(entity[field])
        kept.append(entity)
    return kept


def redact_event(data: dict[str, Any]) -> dict[str, Any]:
    """A serialised event as it may be stored: the user's text without identifiers.

    Only user messages carry what patients typed: their text, the text inside the parse data,
    entities (offsets moved to the redacted text) and channel metadata are redacted.
    """
    if data.get("event") != UserUttered.type_name:
        return data
    data = copy.deepcopy(data)
    text = data.get("text") or ""
    if isinstance(data.get("text"), str):
        data["text"] = redact(text)
    parse = data.get("parse_data")
    if isinstance(parse, dict):
        original = parse.get("text") if isinstance(parse.get("text"), str) else text
        if isinstance(parse.get("entities"), list):
            parse["entities"] = _redact_entities(parse["entities"], original)
        if isinstance(parse.get("text"), str):
            parse["text"] = redact(parse["text"])
    if data.get("metadata"):
        data["metadata"] = _redact_value(data["metadata"])
    return data


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True if this turn (events after the latest user message) ran an erasing action.

    ``action_erase_conversation`` erases only when the turn's message is the confirming button
    (:func:`actions.privacy.erasure_confirmed`); for a typed request it only asked.
    """
    erasing: set[str] = set()
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if ERASE_ACTION in erasing and not erasure_confirmed(event.text):
                erasing.discard(ERASE_ACTION)
            return bool(erasing)
        if isinstance(event, ActionExecuted) and event.action_name in ERASING_ACTIONS:
            erasing.add(event.action_name)
    return bool(erasing)


class PrivateInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store, keeping conversations redacted under their keyed hash."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        key = conversation_key(tracker.sender_id)
        if erasure_requested(tracker):
            self.store.pop(key, None)
            return
        await self.stream_events(tracker)
        dialogue = tracker.as_dialogue().as_dict()
        dialogue["name"] = key
        dialogue["events"] = [redact_event(e) for e in dialogue["events"]]
        self.store[key] = json.dumps(dialogue)

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        stored = self.store.get(conversation_key(sender_id))
        if stored is None:
            return None
        # the parent reads the store by the id it is given: hand it a one-entry view
        view = InMemoryTrackerStore(self.domain)
        view.store = {sender_id: stored}
        return await view._retrieve(sender_id, fetch_all_sessions)

    async def erase(self, sender_id: str) -> int:
        """Forget the conversation; 1 if there was one."""
        return 1 if self.store.pop(conversation_key(sender_id), None) is not None else 0


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

    def _event_query(
        self, session: Any, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Any:
        """Rasa's query, by the conversation's keyed hash (how it is stored)."""
        return super()._event_query(
            session, conversation_key(sender_id), fetch_events_from_all_sessions
        )

    def _save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, with the keyed hash as sender id and redacted user text."""
        key = conversation_key(tracker.sender_id)
        with self.session_scope() as session:
            if erasure_requested(tracker):
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == key).delete()
                session.commit()
                return
            events: Iterator[Any] = self._additional_events(session, tracker)
            for event in events:
                data = redact_event(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=key,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _save_async(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self._save(tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Retrying is safe: save() counts what is stored and writes only the rest.
        await self._retrying("save", lambda: self._save_async(tracker))

    async def erase(self, sender_id: str) -> int:
        """Delete every stored event of the conversation; how many there were."""

        async def delete() -> int:
            with self.session_scope() as session:
                count = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == conversation_key(sender_id))
                    .delete()
                )
                session.commit()
                return int(count or 0)

        return await self._retrying("erase", delete)

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


class PrivateTrackerStore(TrackerStore):
    """The tracker store of ``endpoints.yml``: SQL at ``url`` if one is set, else in memory.

    Both keep conversations redacted under their keyed hash. One endpoint type for both, so
    the one-machine default is private too (without a ``tracker_store`` section Rasa would
    use its own in-memory store, which keeps every message as typed).
    """

    def __new__(  # type: ignore[misc]
        cls,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> TrackerStore:
        url = url or host
        if url:
            return UrlSQLTrackerStore(domain, url=url, event_broker=event_broker, **kwargs)
        return PrivateInMemoryTrackerStore(domain or Domain.empty(), event_broker)
