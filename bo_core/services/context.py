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
    """
    settings = settings or get_settings()
    db = Database(settings.database_url)
    if migrate_if_needed and db.is_sqlite and not migrate.is_up_to_date(db.engine):
        migrate.upgrade(db.engine)
    return Context(db=db, settings=settings)
