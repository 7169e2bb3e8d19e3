"""Alembic environment: runs on the connection handed over by ``bo_core.db.migrate``."""

from __future__ import annotations

from alembic import context

from bo_core.db import gateway_models  # noqa: F401  (registers the gateway tables)
from bo_core.db.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only with a bare `alembic` command
    raise RuntimeError("run migrations through `bo db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
