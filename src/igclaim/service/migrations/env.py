"""Alembic environment: the URL comes from the caller's Config (igclaim.service.migrate), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from igclaim.service.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "igclaim.service.migrate sets sqlalchemy.url"  # noqa: S101 - a programming error, not input


def run() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
