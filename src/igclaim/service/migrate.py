"""Alembic migrations run from the installed package: `igclaim db upgrade|downgrade|current`."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from igclaim.service.db import database_url, engine_for


def config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("igclaim.service") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(config(url), revision)


def current(url: str | None = None) -> str | None:
    with engine_for(url or database_url()).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
