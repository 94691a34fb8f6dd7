"""texts per language (English and Russian)

Every patient-facing text moves into a per-language table: entity names and descriptions
(``entity_text``), answers (``answer_text``), phrases (``phrase_text``) and the centre's text
fields (``centre_text``); synonyms get a ``lang``. Existing content becomes the ``en`` rows,
unchanged (the English item payloads and their history stay valid); the Russian rows are
written by the seed loader or by staff. Feedback and unanswered questions get the language of
the conversation they came from.

Downgrade keeps English and drops every other language (texts, synonyms and their history),
because the schema before this revision has nowhere to put them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table → (owner table, owner column, text columns moved out of the owner: (name, type, required))
TEXT_TABLES: dict[str, tuple[str, str, tuple[tuple[str, sa.types.TypeEngine, bool], ...]]] = {
    "entity_text": (
        "entity",
        "entity_id",
        (("name", sa.String(length=200), True), ("description", sa.Text(), True)),
    ),
    "answer_text": ("answer", "answer_id", (("text", sa.Text(), True),)),
    "phrase_text": ("phrase", "phrase_id", (("text", sa.Text(), True),)),
    "centre_text": (
        "centre",
        "centre_id",
        (
            ("name", sa.String(length=200), True),
            ("organisation", sa.String(length=300), False),
            ("description", sa.Text(), False),
            ("address", sa.Text(), False),
            ("hours", sa.String(length=300), False),
        ),
    ),
}


def upgrade() -> None:
    for table, (owner, owner_id, columns) in TEXT_TABLES.items():
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(owner_id, sa.Integer(), nullable=False),
            sa.Column("lang", sa.String(length=8), nullable=False),
            *(sa.Column(name, type_, nullable=not required) for name, type_, required in columns),
            sa.Column("seed_hash", sa.String(length=64), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint([owner_id], [f"{owner}.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint(owner_id, "lang", name=f"uq_{table}_lang"),
        )
        names = ", ".join(name for name, _, _ in columns)
        # the existing text is English: it becomes the en row, nothing is rewritten
        op.execute(
            f"INSERT INTO {table} ({owner_id}, lang, {names}, updated_at) "
            f"SELECT id, 'en', {names}, updated_at FROM {owner}"
        )
        with op.batch_alter_table(owner, schema=None) as batch_op:
            for name, _, _ in columns:
                batch_op.drop_column(name)

    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lang", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.drop_constraint("uq_synonym_entity_text", type_="unique")
        batch_op.create_unique_constraint(
            "uq_synonym_entity_lang_text", ["entity_id", "lang", "text"]
        )
    for table in ("feedback", "unanswered_question"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lang", sa.String(length=8), nullable=True))


def downgrade() -> None:
    for table in ("feedback", "unanswered_question"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lang")
    op.execute("DELETE FROM synonym WHERE lang <> 'en'")
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.drop_constraint("uq_synonym_entity_lang_text", type_="unique")
        batch_op.create_unique_constraint("uq_synonym_entity_text", ["entity_id", "text"])
        batch_op.drop_column("lang")
    # versions of other languages cannot be read by the code of the older schema
    op.execute("DELETE FROM content_revision WHERE item_ref LIKE '%@%'")

    for table, (owner, owner_id, columns) in TEXT_TABLES.items():
        with op.batch_alter_table(owner, schema=None) as batch_op:
            for name, type_, _ in columns:
                batch_op.add_column(sa.Column(name, type_, nullable=True))
        for name, _, _ in columns:
            op.execute(
                f"UPDATE {owner} SET {name} = (SELECT t.{name} FROM {table} t "
                f"WHERE t.{owner_id} = {owner}.id AND t.lang = 'en')"
            )
        with op.batch_alter_table(owner, schema=None) as batch_op:
            for name, type_, required in columns:
                if required:
                    batch_op.alter_column(name, existing_type=type_, nullable=False)
        op.drop_table(table)
