"""Alembic migrations: they build exactly the models' schema, go down and up again, keep data."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kb import migrate, revisions
from kb.db import engine_for, session_scope
from kb.items import LiveContent, Ref
from kb.loader import Content, load_content
from kb.migrate import alembic_config
from kb.models import Feedback, Synonym, UnansweredQuestion
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
        # the schema of 0002 holds English only: the Russian versions come back as new items
        russian = seed_content.translations("ru")
        assert (report.created, report.updated, report.unchanged) == (
            len(russian),
            0,
            len(seed_content.items) - len(russian),
        )
        published = revisions.published_revisions(session)
        assert set(published) == set(seed_content.items)
        assert {(r.author, r.action) for ref, r in published.items() if ref not in russian} == {
            ("seed", "baseline")
        }
        assert {(r.author, r.action) for ref, r in published.items() if ref in russian} == {
            ("seed", "seed")
        }


# --------------------------------------------------------------------------- 0005: languages

OLD_ROWS = [
    "INSERT INTO source (id, key, short, citation) VALUES (1, 'clinic', 'Clinic page', 'The page')",
    "INSERT INTO entity (id, kind, key, name, description, risk_group, target) VALUES "
    "(1, 'antibody', 'yo', 'anti-Yo antibody', 'Anti-Yo is…', 'high', 'intracellular'), "
    "(2, 'cancer', 'ovarian', 'Ovarian cancer', 'Cancer of the ovary.', NULL, NULL)",
    "INSERT INTO synonym (entity_id, text) VALUES (1, 'anti-Yo'), (1, 'PCA-1'), (2, 'ovary')",
    "INSERT INTO entity_link (from_id, to_id, position) VALUES (1, 2, 0)",
    "INSERT INTO entity_source (entity_id, source_id) VALUES (1, 1), (2, 1)",
    "INSERT INTO answer (id, intent, entity_id, text) VALUES "
    "(1, 'ask_tests', NULL, 'Blood tests.'), (2, 'ask_prognosis', 1, 'It depends.')",
    "INSERT INTO answer_source (answer_id, source_id) VALUES (1, 1), (2, 1)",
    "INSERT INTO phrase (id, key, text) VALUES (1, 'handoff', 'Ask the {centre}.')",
    "INSERT INTO centre (id, name, organisation, description, phone, email, address, website, "
    "hours) VALUES (1, 'Centre', 'Org', 'Desc', '+7 000', 'a@b.c', 'Street 1', 'https://x', '9-5')",
    "INSERT INTO centre_source (centre_id, source_id) VALUES (1, 1)",
    "INSERT INTO setting (key, value) VALUES ('emergency_number', '112')",
    "INSERT INTO feedback (created_at, intent, answer_ids, entities, helpful) VALUES "
    "('2026-01-01 00:00:00', 'ask_tests', '1', '', 1)",
    "INSERT INTO unanswered_question (created_at, text, reason) VALUES "
    "('2026-01-01 00:00:00', 'what?', 'no_answer')",
]
EXPECTED_ENGLISH = {
    "entity:antibody:yo": {
        "name": "anti-Yo antibody",
        "description": "Anti-Yo is…",
        "risk_group": "high",
        "target": "intracellular",
        "synonyms": ["PCA-1", "anti-Yo"],
        "related": [["cancer", "ovarian"]],
        "sources": ["clinic"],
    },
    "answer:ask_tests": {"text": "Blood tests.", "sources": ["clinic"]},
    "answer:ask_prognosis:antibody:yo": {"text": "It depends.", "sources": ["clinic"]},
    "phrase:handoff": {"text": "Ask the {centre}.", "sources": []},
    "centre": {
        "name": "Centre",
        "organisation": "Org",
        "description": "Desc",
        "phone": "+7 000",
        "email": "a@b.c",
        "address": "Street 1",
        "website": "https://x",
        "hours": "9-5",
        "sources": ["clinic"],
    },
    "setting:emergency_number": {"value": "112"},
}


def test_the_language_migration_moves_existing_content_into_english_without_loss(
    blank_kb_url: str,
) -> None:
    """Rows written by the schema before languages (0004) are the English items after 0005."""
    migrate.upgrade(blank_kb_url, "0004")
    with engine_for(blank_kb_url).begin() as connection:
        for statement in OLD_ROWS:
            connection.exec_driver_sql(statement)
    migrate.upgrade(blank_kb_url)
    assert schema_differences(blank_kb_url) == []
    with session_scope(blank_kb_url) as session:
        items = {str(ref): p for ref, p in LiveContent(session).items().items()}
        assert {k: v for k, v in items.items() if k in EXPECTED_ENGLISH} == EXPECTED_ENGLISH
        assert not [ref for ref in items if "@" in ref]  # nothing invented in another language
        assert {s.lang for s in session.query(Synonym)} == {"en"}
        assert session.query(Synonym).count() == 3
        assert [f.lang for f in session.query(Feedback)] == [None]
        assert [q.lang for q in session.query(UnansweredQuestion)] == [None]


def test_downgrading_the_language_migration_keeps_english_and_upgrading_again_restores_it(
    blank_kb_url: str, seed_content: Content
) -> None:
    migrate.upgrade(blank_kb_url)
    with session_scope(blank_kb_url) as session:
        load_content(session, seed_content)
        before = {ref: p for ref, p in LiveContent(session).items().items() if not ref.translated}
    command.downgrade(alembic_config(blank_kb_url), "0004")
    with engine_for(blank_kb_url).connect() as connection:
        name, description = connection.exec_driver_sql(
            "SELECT name, description FROM entity WHERE kind = 'antibody' AND key = 'yo'"
        ).one()
        assert (name, description) == (
            before[Ref("entity", ("antibody", "yo"))]["name"],
            before[Ref("entity", ("antibody", "yo"))]["description"],
        )
        assert not connection.execute(
            text("SELECT count(*) FROM content_revision WHERE item_ref LIKE '%@%'")
        ).scalar()
    migrate.upgrade(blank_kb_url)
    with session_scope(blank_kb_url) as session:
        assert LiveContent(session).items() == before
        report = load_content(session, seed_content)
        assert report.unchanged == len(before)
        assert report.created == len(seed_content.translations("ru"))
