"""Shared fixtures: real knowledge-base databases, migrated and loaded with the seed content.

Every test that uses a KB database runs twice: on SQLite (the default deployment) and on a
real PostgreSQL server started for the session (:mod:`tests.postgres`). Each backend builds
one seeded template database once; tests that write get a copy of it (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), which is much faster than migrating
and loading for every test.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kb import migrate
from kb.db import engine_for, session_scope
from kb.loader import Content, load_content, read_content
from tests.postgres import PostgresServer

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def seed_content() -> Content:
    return read_content()


def make_kb(url: str, content: Content | None) -> str:
    """Migrate ``url`` to the current schema and, if given, load ``content``."""
    migrate.upgrade(url)
    if content is not None:
        with session_scope(url) as session:
            load_content(session, content)
    return url


class Databases:
    """Knowledge-base databases on one backend: seeded copies, empty ones, clean-up."""

    def __init__(
        self, backend: str, folder: Path, content: Content, server: PostgresServer | None
    ) -> None:
        self.backend, self.folder, self.server = backend, folder, server
        self._names = itertools.count()
        self.template = make_kb(self._blank("template"), content)
        engine_for(
            self.template
        ).dispose()  # PostgreSQL copies a template only when nobody is connected

    def _blank(self, name: str) -> str:
        if self.server is not None:
            return self.server.create_database(f"kb_{name}")
        return f"sqlite:///{self.folder / name}.sqlite3"

    def seeded(self) -> str:
        """A new database holding what the template holds (migrated, seed loaded)."""
        name = f"t{next(self._names)}"
        if self.server is not None:
            return self.server.create_database(f"kb_{name}", template="kb_template")
        shutil.copy(make_url(self.template).database, self.folder / f"{name}.sqlite3")
        return f"sqlite:///{self.folder / name}.sqlite3"

    def blank(self) -> str:
        """A new, empty database (no schema)."""
        return self._blank(f"e{next(self._names)}")

    def drop(self, url: str) -> None:
        engine_for(url).dispose()
        database = make_url(url).database
        if self.server is not None:
            self.server.drop_database(database)
        else:
            Path(database).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seed_content: Content
) -> Iterator[Databases]:
    """The databases of one backend; tests using it run once per backend."""
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    yield Databases(request.param, tmp_path_factory.mktemp(request.param), seed_content, server)


@pytest.fixture(scope="session")
def kb_url(databases: Databases) -> str:
    """A seeded KB shared by read-only tests."""
    return databases.seeded()


@pytest.fixture()
def fresh_kb_url(databases: Databases) -> Iterator[str]:
    """A seeded KB of the test's own, for tests that write."""
    url = databases.seeded()
    yield url
    databases.drop(url)


@pytest.fixture()
def blank_kb_url(databases: Databases) -> Iterator[str]:
    """An empty database (no schema) of the test's own."""
    url = databases.blank()
    yield url
    databases.drop(url)


@pytest.fixture()
def session(kb_url: str) -> Iterator[Session]:
    with session_scope(kb_url) as s:
        yield s
        s.rollback()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-rebuild",
        action="store_true",
        help="also run the full rebuild test (trains a model; `make test-rebuild`)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``rebuild`` train a model (minutes): only with --run-rebuild, else skipped."""
    if config.getoption("--run-rebuild"):
        return
    chosen = [item for item in items if item.get_closest_marker("rebuild") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = chosen
