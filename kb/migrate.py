"""Schema migrations (Alembic), run programmatically so operators need no alembic.ini.

``python -m kb upgrade`` brings any database (SQLite or PostgreSQL) to the current schema;
``python -m kb revision -m "..."`` autogenerates a new migration after a model change.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a URL (e.g. an encoded password) must be doubled
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at ``url`` to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the models and ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
