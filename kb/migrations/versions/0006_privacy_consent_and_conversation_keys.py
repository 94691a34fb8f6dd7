"""privacy: consent records and conversation keys on feedback and unanswered questions

``consent`` records, per conversation (by its keyed hash), whether the patient agreed to the
processing of their assessment answers, when, and under which notice version. ``feedback``
and ``unanswered_question`` get the conversation's keyed hash so an erasure request can find
their rows; older rows have none (they were stored without any link to a conversation).

Revision ID: 0006
Revises: 0005 (texts per language)
Create Date: 2026-12-02 07:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_key"),
    )
    for table in ("feedback", "unanswered_question"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("conversation_key", sa.String(length=64), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_conversation_key"), ["conversation_key"], unique=False
            )


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("unanswered_question", "feedback"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_conversation_key"))
            batch_op.drop_column("conversation_key")
    op.drop_table("consent")
