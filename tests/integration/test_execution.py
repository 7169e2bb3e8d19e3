"""run_operation on SQLite and PostgreSQL: success paths, refusals, idempotency, input errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import IdempotencyKeyReused, InputError, InvalidAmount, NotFound
from bo_core.services import users
from bo_core.services.audit import verify_chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.show import show_transaction
from tests.factories import add_tx, add_user, reason_for
from tests.factories import row_counts as counts
from tests.rows import audit_rows


def child(ctx: Context, uuid: str) -> TransactionRow:
    with ctx.db.uow() as uow:
        row = uow.session.execute(select(TransactionRow).where(TransactionRow.uuid == uuid)).scalar_one()
        uow.session.expunge_all()
        return row


def run(
    ctx: Context, op: str, parent: str, user: str, amount: str | None = None, **kw: str
) -> OperationResult:
    kw.setdefault("reason", reason_for(op) or "")
    return run_operation(ctx, OperationRequest(op, parent, user, amount=amount, **kw))


def refused(
    ctx: Context, op: str, parent: str, user: str, code: str, amount: str | None = None, **kw: str
) -> None:
    """The attempt is refused with ``code`` and writes one audit record, nothing else."""
    tx_before, audit_before = counts(ctx)
    result = run(ctx, op, parent, user, amount, **kw)
    assert not result.ok
    assert (result.outcome, result.result_code, result.uuid) == ("refused", code, None)
    assert result.message
    assert counts(ctx) == (tx_before, audit_before + 1)
    last = audit_rows(ctx)[-1]
    assert (last.outcome, last.result_code, last.operation, last.parent_uuid) == ("refused", code, op, parent)
    assert last.child_uuid is None
    assert last.available_before_minor == last.available_after_minor


def nothing_written(ctx: Context, before: tuple[int, int]) -> None:
    assert counts(ctx) == before


@pytest.fixture
def analyst(ctx: Context) -> str:
    return add_user(ctx, "analyst")


@pytest.fixture
def manager(ctx: Context) -> str:
    return add_user(ctx, "manager")


# Success paths


def test_capture_books_a_child_with_the_fields_and_audits_the_balances(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000, merchant="shop-a", bin="411111", last4="1111")
    result = run(ctx, "capture", pa, analyst, "30.00", usage="Order 7", transaction_id="CAP-7", memo="a\nb")
    assert result.ok and result.result_code == rc.SUCCESS and result.status == "success"
    assert (
        result.to_dict()["amount"],
        result.currency,
        result.to_dict()["available_before"],
        result.to_dict()["available_after"],
    ) == (
        "30.00",
        "EUR",
        "100.00",
        "70.00",
    )
    row = child(ctx, result.uuid or "")
    assert (row.type, row.parent_uuid, row.amount_minor, row.currency) == ("CP", pa, 3_000, "EUR")
    assert (row.usage, row.transaction_id, row.memo) == ("Order 7", "CAP-7", "a\nb")
    assert (row.source, row.created_by, row.merchant, row.last4, row.status) == (
        "back_office",
        analyst,
        "shop-a",
        "1111",
        "success",
    )
    assert row.created_at == ctx.now()
    record = audit_rows(ctx)[-1]
    assert (record.outcome, record.child_uuid, record.amount_minor) == ("success", row.uuid, 3_000)
    assert (record.available_before_minor, record.available_after_minor, record.role) == (
        10_000,
        7_000,
        "analyst",
    )


def test_partial_captures_repeat_until_the_capturable_amount_is_used(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000)
    assert run(ctx, "capture", pa, analyst, "60").to_dict()["available_after"] == "40.00"
    assert run(ctx, "capture", pa, analyst, "40.00").to_dict()["available_after"] == "0.00"
    refused(ctx, "capture", pa, analyst, rc.CAPTURE_EXCEEDS_AUTHORIZED, "0.01")


def test_suggested_transaction_ids_are_unique_per_parent(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000, transaction_id="ORDER-1")
    first = run(ctx, "capture", pa, analyst, "1")
    second = run(ctx, "capture", pa, analyst, "1")
    assert (first.transaction_id, second.transaction_id) == ("ORDER-1-CP1", "ORDER-1-CP2")


def test_reversal_releases_exactly_the_capturable_amount(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000)
    run(ctx, "capture", pa, analyst, "30.00")
    result = run(ctx, "reversal", pa, analyst)
    assert (
        result.ok and result.to_dict()["amount"] == "70.00" and result.to_dict()["available_after"] == "0.00"
    )
    assert child(ctx, result.uuid or "").amount_minor == 7_000
    refused(ctx, "reversal", pa, analyst, rc.ALREADY_PROCESSED)
    refused(ctx, "capture", pa, analyst, rc.CAPTURE_EXCEEDS_AUTHORIZED, "1.00")


def test_reversal_of_a_fully_captured_pre_authorization_is_refused(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 5_000)
    run(ctx, "capture", pa, analyst, "50")
    refused(ctx, "reversal", pa, analyst, rc.NOTHING_TO_REVERSE)


def test_refunds_repeat_until_the_refundable_amount_then_volume_exceeded(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 10_000)
    assert run(ctx, "refund", db, analyst, "25.50").to_dict()["available_after"] == "74.50"
    refused(ctx, "refund", db, analyst, rc.REFUND_VOLUME_EXCEEDED, "74.51")
    assert run(ctx, "refund", db, analyst, "74.50").to_dict()["available_after"] == "0.00"
    refused(ctx, "refund", db, analyst, rc.REFUND_VOLUME_EXCEEDED, "0.01")


def test_refund_of_a_capture_and_of_a_rebill(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000)
    cp = run(ctx, "capture", pa, analyst, "80").uuid or ""
    assert run(ctx, "refund", cp, analyst, "80").to_dict()["available_after"] == "0.00"
    db = add_tx(ctx, "DB", 10_000)
    rb = run(ctx, "rebill", db, analyst, "12.34").uuid or ""
    refused(ctx, "refund", rb, analyst, rc.REFUND_VOLUME_EXCEEDED, "12.35")
    assert run(ctx, "refund", rb, analyst, "12.34").ok


def test_chargeback_then_refund_blocked_until_chargeback_reversal(ctx: Context, manager: str) -> None:
    db = add_tx(ctx, "DB", 10_000)
    run(ctx, "refund", db, manager, "10")
    refused(ctx, "chargeback", db, manager, rc.REFUND_VOLUME_EXCEEDED, "90.01")
    cb = run(ctx, "chargeback", db, manager, "40")
    assert cb.ok and cb.to_dict()["available_after"] == "50.00"
    refused(ctx, "chargeback", db, manager, rc.ALREADY_CHARGED_BACK, "1")
    refused(ctx, "refund", db, manager, rc.OPEN_CHARGEBACK, "1")
    cb_uuid = cb.uuid or ""
    refused(ctx, "chargeback_reversal", cb_uuid, manager, rc.CHARGEBACK_REVERSAL_EXCEEDED, "40.01")
    cr = run(ctx, "chargeback_reversal", cb_uuid, manager, "15")
    assert cr.ok and cr.to_dict()["available_after"] == "0.00"
    refused(ctx, "chargeback_reversal", cb_uuid, manager, rc.ALREADY_PROCESSED, "1")
    details = show_transaction(ctx, db, actor=manager)
    assert details.to_dict()["balances"]["available"] == "65.00"  # 100 - 10 - (40 - 15)
    assert details.available_operations == ["rebill", "refund"]
    assert run(ctx, "refund", db, manager, "65").ok
    refused(ctx, "refund", db, manager, rc.REFUND_VOLUME_EXCEEDED, "0.01")


# Refusals by type, status, time, role and user


def test_capture_on_an_old_pre_authorization_is_refused_but_reversal_works(
    ctx: Context, analyst: str
) -> None:
    pa = add_tx(ctx, "PA", 10_000, created_at=ctx.now() - timedelta(days=31))
    refused(ctx, "capture", pa, analyst, rc.CAPTURE_WINDOW_EXPIRED, "1")
    assert run(ctx, "reversal", pa, analyst).to_dict()["amount"] == "100.00"


@pytest.mark.parametrize(
    ("parent_type", "operation"),
    [
        ("DB", "capture"),
        ("DB", "reversal"),
        ("PA", "refund"),
        ("RB", "rebill"),
        ("RF", "refund"),
        ("CB", "refund"),
    ],
)
def test_operation_on_the_wrong_type_is_refused(ctx: Context, parent_type: str, operation: str) -> None:
    admin = add_user(ctx, "admin")
    parent = add_tx(ctx, parent_type, 5_000)
    amount = None if operation == "reversal" else "1"
    refused(ctx, operation, parent, admin, rc.WRONG_TYPE, amount)


@pytest.mark.parametrize(
    ("result_code", "expected"), [("000.200.000", rc.PARENT_PENDING), ("800.100.151", rc.PARENT_REJECTED)]
)
def test_pending_or_rejected_parent_is_refused(
    ctx: Context, analyst: str, result_code: str, expected: str
) -> None:
    db = add_tx(ctx, "DB", 5_000, result_code=result_code)
    refused(ctx, "refund", db, analyst, expected, "1")


def test_pending_refund_already_reduces_what_can_be_refunded(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 5_000)
    add_tx(ctx, "RF", 4_000, parent=db, result_code="000.200.000")
    refused(ctx, "refund", db, analyst, rc.REFUND_VOLUME_EXCEEDED, "10.01")
    assert run(ctx, "refund", db, analyst, "10").ok


@pytest.mark.parametrize(
    ("role", "operation", "parent_type"),
    [
        ("viewer", "capture", "PA"),
        ("viewer", "refund", "DB"),
        ("analyst", "chargeback", "DB"),
        ("analyst", "chargeback_reversal", "CB"),
    ],
)
def test_role_without_the_permission_is_refused(
    ctx: Context, role: str, operation: str, parent_type: str
) -> None:
    user = add_user(ctx, role)
    parent = add_tx(ctx, parent_type, 5_000)
    refused(ctx, operation, parent, user, rc.PERMISSION_DENIED, "1")
    assert audit_rows(ctx)[-1].role == role


def test_disabled_user_is_refused_with_user_disabled(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 5_000)
    users.disable_user(ctx, analyst, actor=SYSTEM)
    refused(ctx, "refund", db, analyst, rc.USER_DISABLED, "1")


def test_rebill_within_the_role_limit_is_booked_and_above_it_refused(
    ctx: Context, analyst: str, manager: str
) -> None:
    db = add_tx(ctx, "DB", 1_000)
    assert run(ctx, "rebill", db, analyst, "5000.00").to_dict()["amount"] == "5000.00"
    refused(ctx, "rebill", db, analyst, rc.AMOUNT_OVER_ROLE_LIMIT, "5000.01")
    assert run(ctx, "rebill", db, manager, "5000.01").ok
    jpy = add_tx(ctx, "DB", 1_000, currency="JPY")
    refused(ctx, "rebill", jpy, analyst, rc.AMOUNT_OVER_ROLE_LIMIT, "500001")
    assert run(ctx, "rebill", jpy, analyst, "500000").to_dict()["amount"] == "500000"


def test_currency_other_than_the_parents_is_refused(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 5_000, currency="EUR")
    refused(ctx, "refund", db, analyst, rc.CURRENCY_MISMATCH, "1", currency="USD")
    assert run(ctx, "refund", db, analyst, "1", currency="eur").currency == "EUR"


def test_amounts_follow_the_parent_currency_exponent(ctx: Context, analyst: str) -> None:
    bhd = add_tx(ctx, "DB", 10_000, currency="BHD")
    assert run(ctx, "refund", bhd, analyst, "1.234").to_dict()["available_after"] == "8.766"
    jpy = add_tx(ctx, "DB", 10_000, currency="JPY")
    before = counts(ctx)
    with pytest.raises(InvalidAmount, match="whole number"):
        run(ctx, "refund", jpy, analyst, "1.5")
    nothing_written(ctx, before)


# Transaction ID uniqueness


def test_duplicate_transaction_id_is_refused_for_the_same_merchant_only(ctx: Context, analyst: str) -> None:
    a1 = add_tx(ctx, "DB", 5_000, merchant="shop-a")
    a2 = add_tx(ctx, "DB", 5_000, merchant="shop-a")
    b1 = add_tx(ctx, "DB", 5_000, merchant="shop-b")
    assert run(ctx, "refund", a1, analyst, "1", transaction_id="RF-1").ok
    refused(ctx, "refund", a2, analyst, rc.DUPLICATE_TRANSACTION_ID, "1", transaction_id="RF-1")
    assert run(ctx, "refund", b1, analyst, "1", transaction_id="RF-1").ok


def test_gateway_transaction_ids_do_not_block_back_office_ones(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 5_000, transaction_id="SAME-REF")
    assert run(ctx, "refund", db, analyst, "1", transaction_id="SAME-REF").ok


# Idempotency


def test_same_key_returns_the_first_result_and_writes_nothing_more(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 10_000)
    first = run(ctx, "refund", db, analyst, "10", idempotency_key="dlg-1")
    after_first = counts(ctx)
    again = run(ctx, "refund", db, analyst, "10", idempotency_key="dlg-1")
    assert again.replayed and not first.replayed
    assert replace(again, replayed=False) == first
    nothing_written(ctx, after_first)
    assert show_transaction(ctx, db, actor=SYSTEM).to_dict()["balances"]["available"] == "90.00"


def test_same_key_replays_a_refusal_too(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 1_000)
    first = run(ctx, "refund", db, analyst, "11", idempotency_key="dlg-2")
    assert first.result_code == rc.REFUND_VOLUME_EXCEEDED
    before = counts(ctx)
    again = run(ctx, "refund", db, analyst, "11", idempotency_key="dlg-2")
    assert again.replayed and again.result_code == rc.REFUND_VOLUME_EXCEEDED
    nothing_written(ctx, before)


def test_same_key_for_another_parent_or_operation_is_refused_and_writes_nothing(
    ctx: Context, analyst: str
) -> None:
    db1 = add_tx(ctx, "DB", 10_000)
    db2 = add_tx(ctx, "DB", 10_000)
    run(ctx, "refund", db1, analyst, "10", idempotency_key="dlg-3")
    before = counts(ctx)
    with pytest.raises(IdempotencyKeyReused):
        run(ctx, "refund", db2, analyst, "10", idempotency_key="dlg-3")
    with pytest.raises(IdempotencyKeyReused):
        run(ctx, "rebill", db1, analyst, "10", idempotency_key="dlg-3")
    nothing_written(ctx, before)


# Input errors write nothing, not even an audit record


@pytest.mark.parametrize(
    "request_fields",
    [
        {"operation": "refund", "amount": "abc"},
        {"operation": "refund", "amount": "-1"},
        {"operation": "refund", "amount": ""},
        {"operation": "refund", "amount": "1.001"},
        {"operation": "refund", "amount": "1", "usage": "u" * 128},
        {"operation": "refund", "amount": "1", "transaction_id": "t" * 256},
        {"operation": "refund", "amount": "1", "memo": "m" * 1001},
        {"operation": "refund", "amount": "1", "usage": "bad\x00"},
        {"operation": "refund", "amount": "1", "idempotency_key": "clé"},
        {"operation": "teleport", "amount": "1"},
        {"operation": "refund", "amount": "1", "parent_uuid": "not-a-uuid"},
        {"operation": "refund", "amount": "1", "username": "  "},
    ],
    ids=lambda f: ",".join(f"{k}={str(v)[:12]!r}" for k, v in f.items()),
)
def test_malformed_requests_raise_input_error_and_write_nothing(
    ctx: Context, analyst: str, request_fields: dict[str, str]
) -> None:
    db = add_tx(ctx, "DB", 10_000)
    fields: dict[str, str] = {"parent_uuid": db, "username": analyst, **request_fields}
    before = counts(ctx)
    with pytest.raises(InputError) as err:
        run_operation(ctx, OperationRequest(**fields))
    assert err.value.message
    nothing_written(ctx, before)


def test_reversal_with_an_amount_is_an_input_error_and_writes_nothing(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000)
    before = counts(ctx)
    with pytest.raises(InputError, match="reversal takes no amount"):
        run(ctx, "reversal", pa, analyst, "10")
    nothing_written(ctx, before)


def test_input_error_does_not_consume_the_idempotency_key(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 10_000)
    with pytest.raises(InvalidAmount):
        run(ctx, "refund", db, analyst, "1,00", idempotency_key="dlg-4")
    assert run(ctx, "refund", db, analyst, "1.00", idempotency_key="dlg-4").ok


def test_unknown_parent_or_user_raise_not_found_and_write_nothing(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 10_000)
    before = counts(ctx)
    with pytest.raises(NotFound):
        run(ctx, "refund", "f" * 32, analyst, "1")
    with pytest.raises(NotFound):
        run(ctx, "refund", db, "nobody", "1")
    nothing_written(ctx, before)


# Show: the buttons come from the same rules


@pytest.mark.parametrize(
    ("role", "on_db", "on_pa", "on_cb"),
    [
        ("viewer", [], [], []),
        ("analyst", ["rebill", "refund"], ["capture", "reversal"], []),
        ("manager", ["rebill", "refund", "chargeback"], ["capture", "reversal"], ["chargeback_reversal"]),
        ("admin", ["rebill", "refund", "chargeback"], ["capture", "reversal"], ["chargeback_reversal"]),
    ],
)
def test_show_lists_the_operations_each_role_may_run(
    ctx: Context, role: str, on_db: list[str], on_pa: list[str], on_cb: list[str]
) -> None:
    user = add_user(ctx, role)
    db = add_tx(ctx, "DB", 10_000)
    pa = add_tx(ctx, "PA", 10_000)
    cb = add_tx(ctx, "CB", 1_000, parent=add_tx(ctx, "DB", 1_000))
    assert show_transaction(ctx, db, actor=user).available_operations == on_db
    assert show_transaction(ctx, pa, actor=user).available_operations == on_pa
    assert show_transaction(ctx, cb, actor=user).available_operations == on_cb
    assert show_transaction(ctx, db, actor=SYSTEM).available_operations is None


def test_show_after_operations_reflects_balances_and_children(ctx: Context, analyst: str) -> None:
    pa = add_tx(ctx, "PA", 10_000)
    run(ctx, "capture", pa, analyst, "100")
    details = show_transaction(ctx, pa, actor=analyst)
    assert details.available_operations == []
    assert details.to_dict()["balances"]["captured"] == "100.00"
    assert [c.type for c in details.children] == ["CP"]


def test_every_record_of_a_mixed_session_is_chained(ctx: Context, analyst: str) -> None:
    db = add_tx(ctx, "DB", 1_000)
    run(ctx, "refund", db, analyst, "1")
    run(ctx, "refund", db, analyst, "100")
    run(ctx, "chargeback", db, analyst, "1")
    with ctx.db.uow() as uow:
        report = verify_chain(uow.session)
    assert report.ok and report.records == 3


def test_idempotency_key_of_another_user_is_refused_not_replayed(ctx: Context) -> None:
    first_user, second_user = add_user(ctx, "analyst"), add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 10_000)
    run_operation(
        ctx,
        OperationRequest(
            "refund", debit, first_user, amount="1", idempotency_key="shared", reason="requested_by_customer"
        ),
    )
    with pytest.raises(IdempotencyKeyReused):
        run_operation(
            ctx,
            OperationRequest(
                "refund",
                debit,
                second_user,
                amount="1",
                idempotency_key="shared",
                reason="requested_by_customer",
            ),
        )
    assert counts(ctx)[1] == 1
