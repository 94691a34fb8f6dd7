"""The action server's way into the knowledge base: one session per action run.

Every action reads the KB the same way: :func:`with_kb` runs its work in one session and,
when the database cannot be reached, logs it and returns None, so the action answers from
``domain.yml`` (``utter_kb_unavailable``, the emergency fallback) instead of failing the turn.

The conversation's language (:func:`conversation_language`) is the ``lang`` every KB reply
is composed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.language import DEFAULT_LANGUAGE, valid_language
from kb.db import session_scope
from kb.errors import MissingText
from kb.settings import database_url as configured_database_url

logger = logging.getLogger(__name__)

T = TypeVar("T")


@lru_cache(maxsize=1)
def database_url() -> str:
    """Read once per process: the action server is started with its settings in place."""
    return configured_database_url()


@contextmanager
def kb_session() -> Iterator[Session]:
    with session_scope(database_url()) as session:
        yield session


def with_kb(work: Callable[[Session], T], failure: str = "knowledge base unavailable") -> T | None:
    """``work(session)`` in one unit of work; None (logged as ``failure``) if the database fails
    or a text the reply needs is missing in the patient's language (the caller then answers
    from ``domain.yml`` in that language: never a half-translated reply)."""
    try:
        with kb_session() as session:
            return work(session)
    except (SQLAlchemyError, MissingText):
        logger.exception(failure)
        return None


def conversation_language(tracker: Tracker) -> str:
    """The ``language`` slot (set on every message, see actions.conversation.ActionSetLanguage)."""
    return valid_language(tracker.get_slot("language")) or DEFAULT_LANGUAGE
