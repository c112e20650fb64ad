"""Schema management: Alembic migrations are the only way the schema is made."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from dinghuo.config import Settings
from dinghuo.db import make_engine
from dinghuo.rls import grant_app_role

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to ``revision`` as the owner, then grant the app role."""
    url = settings.migration_database_url or settings.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
    if settings.app_db_role:
        engine = make_engine(url)
        with engine.begin() as connection:
            grant_app_role(connection, settings.app_db_role)
        engine.dispose()
