"""Migrations from an empty database to head, down to base and up again, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from bo_core.db import migrate
from bo_core.db.models import Base
from bo_core.db.uow import Database

TABLES = {"transactions", "audit_log", "users", "login_throttle", "approval_requests", "user_scopes"}


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def insert_audit_row(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (created_at, username, operation, parent_uuid, outcome,"
                " result_code, message, prev_hash, hash)"
                " VALUES (:t, 'u', 'refund', :p, 'refused', '700.400.200', 'm', :h, :h)"
            ),
            {"t": "2026-11-01 12:00:00", "p": "a" * 32, "h": "0" * 64},
        )


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


def test_empty_database_migrates_to_head_with_every_model_table(database: Database) -> None:
    engine = database.engine
    assert migrate.current_revision(engine) is None
    assert not migrate.is_up_to_date(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.is_up_to_date(engine)
    assert tables(engine) == TABLES == set(Base.metadata.tables)


def test_upgrade_twice_is_a_no_op(database: Database) -> None:
    migrate.upgrade(database.engine)
    migrate.upgrade(database.engine)
    assert migrate.is_up_to_date(database.engine)


def test_migrated_columns_match_the_models(database: Database) -> None:
    migrate.upgrade(database.engine)
    inspector = inspect(database.engine)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name


def test_downgrade_to_base_then_upgrade_again_restores_the_schema(database: Database) -> None:
    engine = database.engine
    migrate.upgrade(engine)
    downgrade(engine)
    assert tables(engine) == set()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert tables(engine) == TABLES
    assert migrate.is_up_to_date(engine)
    insert_audit_row(engine)  # the schema works again


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET message = 'changed'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only_after_a_downgrade_upgrade_cycle(database: Database, statement: str) -> None:
    engine = database.engine
    migrate.upgrade(engine)
    downgrade(engine)
    migrate.upgrade(engine)
    insert_audit_row(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1
