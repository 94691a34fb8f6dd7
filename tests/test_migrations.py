"""Alembic migrations: they build exactly the models' schema, go down and up again, keep data."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kb import migrate, revisions
from kb.db import engine_for, session_scope
from kb.loader import Content, load_content
from kb.migrate import alembic_config
from kb.schema import metadata


def schema_differences(url: str) -> list:
    with engine_for(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def tables(url: str) -> set[str]:
    return set(inspect(engine_for(url)).get_table_names()) - {"alembic_version"}


def test_migrations_build_the_schema_of_the_models(blank_kb_url: str) -> None:
    migrate.upgrade(blank_kb_url)
    assert schema_differences(blank_kb_url) == []
    assert tables(blank_kb_url) == set(metadata.tables)


def test_migrations_go_down_and_up_again(blank_kb_url: str) -> None:
    migrate.upgrade(blank_kb_url)
    command.downgrade(alembic_config(blank_kb_url), "base")
    assert tables(blank_kb_url) == set()
    migrate.upgrade(blank_kb_url)
    assert schema_differences(blank_kb_url) == []


def test_a_database_from_before_the_workflow_gets_its_history_on_the_next_load(
    blank_kb_url: str, seed_content: Content
) -> None:
    migrate.upgrade(blank_kb_url)
    with session_scope(blank_kb_url) as session:
        load_content(session, seed_content)
    command.downgrade(alembic_config(blank_kb_url), "0002")  # as deployed before revisions existed
    assert "content_revision" not in tables(blank_kb_url)

    migrate.upgrade(blank_kb_url)
    with session_scope(blank_kb_url) as session:
        report = load_content(session, seed_content)
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(seed_content.items))
        published = revisions.published_revisions(session)
        assert set(published) == set(seed_content.items)
        assert {(r.author, r.action) for r in published.values()} == {("seed", "baseline")}
