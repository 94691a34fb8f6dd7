"""The action server's way into the knowledge base: one session per action run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy.orm import Session

from kb.db import session_scope
from kb.settings import database_url as configured_database_url


@lru_cache(maxsize=1)
def database_url() -> str:
    """Read once per process: the action server is started with its settings in place."""
    return configured_database_url()


@contextmanager
def kb_session() -> Iterator[Session]:
    with session_scope(database_url()) as session:
        yield session
