"""Composed answers cached per content version, so staff edits still show immediately.

Composing an entity answer loads the entity, its links, sources and phrases (~10-20 ms on
SQLite); the same few questions are asked all day. Before using a cached reply we read the
content version — one query of maxima and counts over the live tables and the revision
history — and recompose when anything changed: a publish or rollback adds a revision row, an
edit of a live row moves its ``updated_at``, an added or deleted row changes a count.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.models import (
    Answer,
    AnswerText,
    Centre,
    CentreText,
    Entity,
    EntityLink,
    EntityText,
    Phrase,
    PhraseText,
    Revision,
    Setting,
    Source,
    Synonym,
)

#: Every table an answer is composed from (owners and their per-language texts).
_TIMED = (
    Answer,
    AnswerText,
    Entity,
    EntityText,
    Phrase,
    PhraseText,
    Centre,
    CentreText,
    Setting,
    Source,
)
_COUNTED = (*_TIMED, EntityLink, Synonym)

T = TypeVar("T")
MAX_ENTRIES = 2048


def content_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever anything an answer is composed from changes."""
    columns = [select(func.max(Revision.id)).scalar_subquery()]
    for model in _TIMED:
        columns.append(select(func.max(model.updated_at)).scalar_subquery())
    for model in _COUNTED:
        columns.append(select(func.count()).select_from(model).scalar_subquery())
    return tuple(session.execute(select(*columns)).one())


class VersionedCache:
    """A small LRU of values tagged with the content version they were built from."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def get_or_build(self, session: Session, key: Hashable, build: Callable[[], T]) -> T:
        version = content_version(session)
        full_key = (str(session.get_bind().url), key)
        with self._lock:
            entry = self._entries.get(full_key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(full_key)
                self.hits += 1
                return copy.deepcopy(entry[1])
        value = build()
        with self._lock:
            self.misses += 1
            self._entries[full_key] = (version, copy.deepcopy(value))
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
