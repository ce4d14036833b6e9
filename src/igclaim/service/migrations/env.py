"""Alembic environment: the URL comes from the caller's Config (igclaim.service.migrate), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from igclaim.service.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""  # igclaim.service.migrate always sets it


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
