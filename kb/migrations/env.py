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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # batch mode rebuilds a table by copying it and dropping the old one; with foreign
            # keys on, that drop would cascade into every table pointing at it (synonyms,
            # answers…). The pragma only works outside a transaction, and the connection goes
            # back to a pool, so it is switched on again afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            # batch mode lets ALTER TABLE work on SQLite, the default one-machine database
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.commit()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
