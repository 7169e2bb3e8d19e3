"""Demo data and first-start bootstrap on real SQLite files and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from bo_core.db.models import TransactionRow, UserRow
from bo_core.demo import DEMO_USERS, create_demo_users, demo_rows, generate_demo
from bo_core.demo import generate as demo
from bo_core.demo.bootstrap import ensure_demo
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.services import ledger, users
from bo_core.services.context import Context
from tests.conftest import make_context
from tests.factories import Clock, add_tx, add_user
from tests.rows import transaction_count, transactions
from tests.unit.test_demo_invariants import (
    ALL_OFFERS,
    STATE_REFUSALS,
    Ledger,
    chain_violations,
    reachable,
)

COLUMNS = [
    c.name
    for c in TransactionRow.__table__.columns
    if c.name not in ("id", "pending_reason", "attempt_uuid", "reason_code", "reason_note")
]


def stored_rows(ctx: Context) -> list[dict[str, Any]]:
    return [{c: getattr(r, c) for c in COLUMNS} for r in transactions(ctx)]


def test_loaded_rows_are_exactly_the_seeded_stream_and_break_no_rule(ctx: Context) -> None:
    seen: list[int] = []
    report = generate_demo(ctx, 3_000, seed=7, progress=seen.append)
    rows = stored_rows(ctx)
    assert report.transactions == len(rows) == 3_000 and seen[-1] == 3_000
    assert rows == list(demo_rows(3_000, 7, ctx.now()))
    assert chain_violations(rows, ctx.now()) == []
    offered, refusals = reachable(rows, ctx.settings.role("admin"), ctx.now())
    assert offered == ALL_OFFERS
    assert refusals >= STATE_REFUSALS
    assert {"JPY", "BHD"} <= {r["currency"] for r in rows}


def test_the_ledger_service_computes_the_same_balances_as_the_rule_checker(ctx: Context) -> None:
    generate_demo(ctx, 1_500, seed=8)
    rows = stored_rows(ctx)
    check = Ledger(rows)
    parents = [r for r in rows if r["uuid"] in check.children][:150]
    assert len(parents) >= 100
    with ctx.db.uow() as uow:
        for parent in parents:
            row = ledger.get_transaction(uow.session, parent["uuid"])
            assert ledger.position(uow.session, row).balances == check.balances(parent)


def test_loading_the_same_seed_twice_is_refused_and_writes_nothing(ctx: Context) -> None:
    generate_demo(ctx, 200, seed=1)
    with pytest.raises(InputError, match="seed 1 is already loaded"):
        generate_demo(ctx, 500, seed=1)
    assert transaction_count(ctx) == 200
    generate_demo(ctx, 300, seed=2)
    assert transaction_count(ctx) == 500


def schema_of(ctx: Context) -> set[tuple[str, ...]]:
    """The table's index and foreign-key definitions, as the database itself states them."""
    if ctx.db.is_sqlite:
        sql = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'transactions'"
    else:
        sql = (
            "SELECT 'index', indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = 'transactions' UNION ALL "
            "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'transactions'::regclass"
        )
    with ctx.db.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(text(sql))}


def test_a_large_load_rebuilds_exactly_the_indexes_and_foreign_key_it_set_aside(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "REBUILD_INDEXES_FROM_ROWS", 100)
    before = schema_of(ctx)
    generate_demo(ctx, 2_000, seed=4)
    assert schema_of(ctx) == before
    assert len(before) >= 10
    rows = stored_rows(ctx)
    assert rows == list(demo_rows(2_000, 4, ctx.now()))
    with pytest.raises(IntegrityError), ctx.db.uow(write=True) as uow:  # the foreign key holds again
        uow.session.execute(insert(TransactionRow), [{**rows[0], "uuid": "e" * 32, "parent_uuid": "d" * 32}])
        uow.commit()


def test_a_large_load_that_fails_half_way_writes_nothing_and_keeps_the_indexes(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "REBUILD_INDEXES_FROM_ROWS", 100)
    clash = [r for r in demo_rows(1_000, 6, ctx.now()) if r["parent_uuid"] is None][-1]
    with ctx.db.uow(write=True) as uow:
        uow.session.execute(insert(TransactionRow), [clash])
        uow.commit()
    before = schema_of(ctx)
    with pytest.raises(InputError, match="collide"):
        generate_demo(ctx, 1_000, seed=6)
    assert transaction_count(ctx) == 1
    assert schema_of(ctx) == before


def generated_count(ctx: Context) -> int:
    """The generated rows (the demo history adds children booked by the back office)."""
    with ctx.db.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(TransactionRow).where(TransactionRow.source == "gateway")
            ).scalar_one()
        )


def test_ensure_demo_loads_once_with_demo_users_then_does_nothing(ctx: Context) -> None:
    assert ensure_demo(ctx, transactions=400) is True
    assert ensure_demo(ctx, transactions=400) is False
    assert generated_count(ctx) == 400
    for username, role, password in DEMO_USERS:
        user = users.authenticate(ctx, username, password)
        assert (user.role, user.is_demo) == (role, True)


def test_ensure_demo_leaves_a_database_with_transactions_alone(ctx: Context) -> None:
    add_tx(ctx)
    assert ensure_demo(ctx, transactions=100) is False
    assert transaction_count(ctx) == 1
    assert users.list_users(ctx, actor=SYSTEM) == []


def test_two_processes_starting_at_once_load_the_demo_data_once(db_url: str, clock: Clock) -> None:
    contexts = [make_context(db_url, clock) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def boot(c: Context) -> None:
        start.wait()
        try:
            results.append(ensure_demo(c, transactions=1_000))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=boot, args=(c,)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        assert sorted(results) == [False, True]
        assert generated_count(contexts[0]) == 1_000
    finally:
        for c in contexts:
            c.db.dispose()


def test_demo_users_are_created_once_and_an_existing_account_is_kept(ctx: Context) -> None:
    add_user(ctx, "viewer", username="admin")
    created = create_demo_users(ctx)
    assert [u for u, _, _ in created] == ["viewer", "analyst", "manager", "analyst-eu"]
    assert create_demo_users(ctx) == []
    with ctx.db.uow() as uow:
        admin = uow.session.get(UserRow, "admin")
        assert admin is not None and (admin.role, admin.is_demo) == ("viewer", False)
