"""The context every service takes: database, settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bo_core.config import Settings, get_settings
from bo_core.db import migrate
from bo_core.db.uow import Database


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()


def open_context(settings: Settings | None = None, *, migrate_if_needed: bool = True) -> Context:
    """Open the configured database; the embedded default migrates itself on first start.

    A PostgreSQL database is migrated only by ``bo db upgrade`` (an operator's
    decision); ``migrate_if_needed`` applies to SQLite only.
    A database at the current revision records which roles file the process
    runs with (``roles_loaded``, once per change of the file).
    """
    settings = settings or get_settings()
    db = Database(settings.database_url)
    up_to_date = migrate.is_up_to_date(db.engine)
    if migrate_if_needed and db.is_sqlite and not up_to_date:
        migrate.upgrade(db.engine)
        up_to_date = True
    ctx = Context(db=db, settings=settings)
    if up_to_date:
        from bo_core.security.roles_record import note_roles_loaded

        note_roles_loaded(ctx)
    return ctx
