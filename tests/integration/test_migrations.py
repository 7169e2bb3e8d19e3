"""Migrations from an empty database to head, down to base and up again, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from bo_core.db import migrate
from bo_core.db.gateway_models import GatewayInbox  # noqa: F401  (its table is part of the schema)
from bo_core.db.models import Base
from bo_core.db.uow import Database

TABLES = {
    "transactions",
    "audit_log",
    "users",
    "login_throttle",
    "bulk_runs",
    "bulk_lines",
    "saved_views",
    "gateway_inbox",
    "user_sessions",
    "security_events",
    "user_security",
    "approval_requests",
    "user_scopes",
    "sso_sign_ins",
}


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
            {"t": "2026-11-01 12:00:00.000000", "p": "a" * 32, "h": "0" * 64},
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


def _insert_transaction(engine: Engine, **values: str) -> None:
    row = {"type": "DB", "status": "success", "source": "gateway", **values}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO transactions (uuid, transaction_id, type, amount_minor, currency, result_code,"
                " result_description, status, merchant, channel, payment_method, brand, created_at, source)"
                " VALUES (:uuid, 'T-1', :type, 100, 'EUR', '000.000.000', 'ok', :status, 'm', 'web', 'CC',"
                " 'VISA', '2026-11-01 12:00:00.000000', :source)"
            ),
            {"uuid": values.get("uuid", "a" * 32), **row},
        )


@pytest.mark.parametrize(
    "bad",
    [{"type": "XX"}, {"type": "db"}, {"status": "SUCCESS"}, {"status": "done"}, {"source": "manual"}],
)
def test_the_database_refuses_a_type_status_or_source_outside_its_enum(
    database: Database, bad: dict[str, str]
) -> None:
    migrate.upgrade(database.engine)
    with pytest.raises(DBAPIError):
        _insert_transaction(database.engine, **bad)
    _insert_transaction(database.engine)  # the same row with valid values goes in


def test_the_enum_checks_survive_a_downgrade_upgrade_cycle_and_keep_the_rows(database: Database) -> None:
    engine = database.engine
    migrate.upgrade(engine)
    _insert_transaction(engine)
    downgrade(engine, "0002")
    _insert_transaction(engine, uuid="b" * 32, type="XX")  # no constraint before 0003a
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transactions WHERE type = 'XX'"))
    migrate.upgrade(engine)
    with pytest.raises(DBAPIError):
        _insert_transaction(engine, uuid="c" * 32, type="XX")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar_one() == 1
    names = {i["name"] for i in inspect(engine).get_indexes("transactions")}
    assert {"ix_tx_created_at", "ux_tx_backoffice_merchant_txid", "ix_tx_type_status_created"} <= names


def test_the_checked_values_are_exactly_the_enums_of_the_models() -> None:
    import importlib.util
    import re
    from pathlib import Path

    from bo_core.domain.types import Source, Status, TxType

    path = Path(migrate.__file__).parent / "migrations" / "versions" / "0003a_enum_checks.py"
    spec = importlib.util.spec_from_file_location("enum_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, kind in (("type", TxType), ("status", Status), ("source", Source)):
        values = re.findall(r"'([^']+)'", module.CHECKS[f"ck_transactions_{name}"])
        assert sorted(values) == sorted(m.value for m in kind), name
