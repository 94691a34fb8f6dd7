"""Alembic environment: migrate the KB database named in the Alembic config."""

from __future__ import annotations

from alembic import context

from kb.db import engine_for
from kb.schema import metadata

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine_for(url).connect() as connection:
        # batch mode lets ALTER TABLE work on SQLite, the default one-machine database
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
