"""Shared fixtures: a real SQLite knowledge base, migrated and loaded with the seed content."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from kb import migrate
from kb.db import session_scope
from kb.loader import Content, load_content, read_content


@pytest.fixture(scope="session")
def seed_content() -> Content:
    return read_content()


def make_kb(path: Path, content: Content) -> str:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    with session_scope(url) as session:
        load_content(session, content)
    return url


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory: pytest.TempPathFactory, seed_content: Content) -> str:
    """A KB shared by read-only tests."""
    return make_kb(tmp_path_factory.mktemp("kb") / "kb.sqlite3", seed_content)


@pytest.fixture()
def fresh_kb_url(tmp_path: Path, seed_content: Content) -> str:
    """A KB of the test's own, for tests that write."""
    return make_kb(tmp_path / "kb.sqlite3", seed_content)


@pytest.fixture()
def session(kb_url: str) -> Iterator[Session]:
    with session_scope(kb_url) as s:
        yield s
        s.rollback()
