"""Alembic environment: the connection comes from server.db.migrate (never from an .ini file)."""

from __future__ import annotations

from alembic import context

import server.web.tables  # noqa: F401  (the web app's tables join Base.metadata)
from server.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
)
with context.begin_transaction():
    context.run_migrations()
