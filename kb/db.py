"""Engines and per-request sessions for the knowledge base.

One engine per database URL and process (connection pooling is the engine's job); one
short session per request or command, committed or rolled back as a unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


@cache
def engine_for(url: str) -> Engine:
    """The process-wide engine for ``url``; SQLite gets foreign keys and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file databases a NullPool (a new connection per session);
        # the action server opens a session per answer, so connections are pooled instead.
        pool = (
            {"poolclass": QueuePool, "pool_size": 5}
            if parsed.database not in (None, "", ":memory:")
            else {}
        )
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@cache
def _factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session for one unit of work: committed on success, rolled back on error."""
    session: Session = _factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def scratch_session(url: str) -> Iterator[Session]:
    """A session whose changes are always rolled back (previews of unpublished content)."""
    session: Session = _factory(url)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
