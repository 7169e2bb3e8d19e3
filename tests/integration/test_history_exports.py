"""Attempted amounts, the audit chain, and exports as temporary files, on both backends."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.domain.money import Money
from bo_core.security.audit_key import audit_key
from bo_core.security.events import list_security_events
from bo_core.services import audit, export_files, search
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.history import (
    HistoryFilters,
    export_history_csv,
    history_stats,
    list_history,
    parse_history_filters,
)
from tests.factories import Clock, add_tx, add_user

EMAIL = "jane.doe@example.com"


@pytest.fixture
def exports(ctx: Context, tmp_path: Path) -> Path:
    path = tmp_path / "exports"
    ctx.settings = dataclasses.replace(ctx.settings, export_dir=str(path), export_ttl_minutes=10)
    return path


def refund(ctx: Context, parent: str, user: str, amount: str) -> bool:
    return run_operation(
        ctx, OperationRequest("refund", parent, user, amount=amount, reason="requested_by_customer")
    ).ok


def test_a_refused_attempt_stores_its_attempted_amount(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst", "ari")
    manager = add_user(ctx, "manager", "mia")
    debit = add_tx(ctx, "DB", 10_000, "EUR", transaction_id="ORDER-1")
    yen = add_tx(ctx, "DB", 50_000, "JPY")
    assert refund(ctx, debit, analyst, "30.00")
    assert not refund(ctx, debit, analyst, "500.00")
    assert not refund(ctx, yen, analyst, "90000")
    with ctx.db.uow() as uow:
        stored = uow.session.scalars(select(AuditRecord.attempted_minor).order_by(AuditRecord.seq)).all()
    assert stored == [3000, 50000, 90000]
    refused = list_history(ctx, parse_history_filters(outcome="refused", currency="EUR"), actor=manager)
    assert [(e.attempted, e.amount) for e in refused] == [(Money(50000, "EUR"), None)]
    assert (refused[0].parent_type, refused[0].parent_transaction_id) == ("DB", "ORDER-1")
    # Filtered and summed by the attempted amount, each currency in its own units.
    big = list_history(ctx, parse_history_filters(min_attempted="100"), actor=manager)
    assert {e.attempted for e in big} == {Money(50000, "EUR"), Money(90000, "JPY")}
    stats = history_stats(ctx, HistoryFilters(), actor=manager)
    assert [(c, n, m) for c, n, m in stats.refused_attempted] == [
        ("EUR", 1, Money(50000, "EUR")),
        ("JPY", 1, Money(90000, "JPY")),
    ]
    assert stats.refusals_by_reason == [("700.400.200", 2)]
    assert stats.refusals_by_role == [("analyst", 2)]
    with pytest.raises(InputError, match="Attempted from"):
        parse_history_filters(min_attempted="9", max_attempted="1")


def test_the_chain_verifies_for_records_without_and_with_an_attempted_amount(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 10_000)
    with ctx.db.uow(write=True) as uow:  # a record as written before the column existed
        legacy = AuditRecord(
            created_at=ctx.now(),
            username=analyst,
            role="analyst",
            operation="refund",
            parent_uuid=debit,
            outcome="refused",
            result_code="700.400.200",
            message="written by an older version",
        )
        audit.append(uow.session, legacy)
        uow.commit()
    assert refund(ctx, debit, analyst, "1.00")
    assert not refund(ctx, debit, analyst, "999.00")
    report = audit.verify_audit_chain(ctx, actor=SYSTEM)
    assert (report.ok, report.records) == (True, 3)
    with ctx.db.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        last = rows[-1]
        # The attempted amount is covered by the (keyed) hash of the records that carry it.
        assert last.attempted_minor == 99900 and last.hash_version >= 1
        key = audit_key(ctx.db.engine.url)
        assert audit.record_digest(last.prev_hash, last, key) == last.hash
        last.attempted_minor = 1  # in memory only: the unit of work is never committed
        assert audit.record_digest(last.prev_hash, last, key) != last.hash


def _rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize(("role", "masked"), [("viewer", True), ("manager", True), ("admin", False)])
def test_the_transactions_export_is_masked_unless_the_role_may_export_personal_data(
    ctx: Context, exports: Path, role: str, masked: bool
) -> None:
    user = add_user(ctx, role)
    add_tx(ctx, "DB", 10_000, customer_email=EMAIL, holder="Jane Doe")
    made = export_files.export_transactions(ctx, search.SearchFilters(), actor=user, owner_session="s1")
    (row,) = _rows(exports / f"{made.token}.csv")
    if masked:
        assert (row["customer_email"], row["holder"]) == ("j•••@example.com", "Jane D.")
    else:
        assert (row["customer_email"], row["holder"]) == (EMAIL, "Jane Doe")
    assert made.personal is not masked
    # The command line's export follows the same rule (SYSTEM exports in full).
    out = io.StringIO()
    search.export_csv(ctx, search.SearchFilters(), out, actor=user)
    assert (EMAIL in out.getvalue()) is not masked
    out = io.StringIO()
    search.export_csv(ctx, search.SearchFilters(), out, actor=SYSTEM)
    assert EMAIL in out.getvalue()


def test_every_export_is_audited_with_who_filters_and_row_count(ctx: Context, exports: Path) -> None:
    manager = add_user(ctx, "manager", "mia")
    add_tx(ctx, "DB", 10_000, merchant="acme-shop")
    add_tx(ctx, "DB", 10_000, merchant="beta-store")
    filters = search.parse_filters(merchant="acme-shop")
    export_files.export_transactions(ctx, filters, actor=manager, owner_session="s1")
    export_files.export_history(ctx, HistoryFilters(), actor=manager, owner_session="s1")
    events = [e for e in list_security_events(ctx, username="mia") if e.kind == "export"]
    details = sorted((json.loads(e.detail) for e in events), key=lambda d: d["export"])
    assert [(d["export"], d["rows"]) for d in details] == [("operation-history", 0), ("transactions", 1)]
    assert details[1]["filters"]["merchant"] == "acme-shop"
    assert all(e.actor == "mia" and e.created_at is not None for e in events)


def test_an_export_is_a_temporary_file_only_its_session_downloads_then_deleted(
    ctx: Context, exports: Path, clock: Clock
) -> None:
    viewer = add_user(ctx, "viewer")
    for _ in range(5):
        add_tx(ctx, "DB", 10_000)
    made = export_files.export_transactions(ctx, search.SearchFilters(), actor=viewer, owner_session="sess-a")
    assert made.rows == 5 and made.file_name.endswith("Z.csv") and "20261101T" in made.file_name
    data = exports / f"{made.token}.csv"
    assert data.exists() and len(_rows(data)) == 5
    assert export_files.claim_download(ctx, made.token, "sess-b") is None  # another session
    assert export_files.claim_download(ctx, made.token, None) is None
    assert export_files.claim_download(ctx, "../" + made.token, "sess-a") is None
    found = export_files.claim_download(ctx, made.token, "sess-a")
    assert found is not None and found.path == data and found.size == data.stat().st_size
    export_files.remove_export(ctx, made.token)  # after the download
    assert not data.exists() and list(exports.iterdir()) == []
    # Expiry: an export nobody downloaded is gone after its time.
    late = export_files.export_transactions(ctx, search.SearchFilters(), actor=viewer, owner_session="sess-a")
    clock.advance(minutes=11)
    assert export_files.claim_download(ctx, late.token, "sess-a") is None
    assert list(exports.iterdir()) == []
    kept = export_files.export_transactions(ctx, search.SearchFilters(), actor=viewer, owner_session="sess-a")
    clock.advance(minutes=11)
    assert export_files.sweep_expired(ctx) == 1 and not (exports / f"{kept.token}.csv").exists()


def test_an_export_over_the_cap_is_refused_before_any_file_is_written(ctx: Context, exports: Path) -> None:
    viewer = add_user(ctx, "viewer")
    for _ in range(3):
        add_tx(ctx, "DB", 10_000)
    ctx.settings = dataclasses.replace(ctx.settings, export_max_rows=2)
    size = export_files.transactions_export_size(ctx, search.SearchFilters(), actor=viewer)
    assert (size.value, size.capped) == (2, True)
    with pytest.raises(InputError, match="more than 2 rows"):
        export_files.export_transactions(ctx, search.SearchFilters(), actor=viewer, owner_session="s")
    assert not exports.exists() or list(exports.iterdir()) == []


def test_the_history_export_keeps_the_formula_guard(ctx: Context, exports: Path) -> None:
    manager = add_user(ctx, "manager")
    debit = add_tx(ctx, "DB", 10_000)
    run_operation(
        ctx,
        OperationRequest("refund", debit, manager, amount="1.00", memo="=HYPERLINK(1)", reason="duplicate"),
    )
    made = export_files.export_history(ctx, HistoryFilters(), actor=manager, owner_session="s")
    (row,) = _rows(exports / f"{made.token}.csv")
    assert row["memo"] == "'=HYPERLINK(1)" and row["attempted"] == "1.00"
    out = io.StringIO()
    assert export_history_csv(ctx, HistoryFilters(), out, actor=manager) == 1
