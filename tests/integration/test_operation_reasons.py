"""Reasons of refunds and chargebacks, the confirmation threshold and pending balances, on
SQLite and PostgreSQL: validated by ``run_operation``, stored with the child, the audit record
and approval requests, filterable in the history and present in both CSV exports."""

from __future__ import annotations

import csv
import io

import pytest

from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.domain.filters import SearchFilters
from bo_core.services import approvals
from bo_core.services.audit import verify_audit_chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.history import export_history_csv, list_history, parse_history_filters
from bo_core.services.search import export_csv
from bo_core.services.show import show_transaction
from tests.factories import add_tx, add_user
from tests.rows import audit_rows, children, row_counts


def refund(ctx: Context, parent: str, user: str, amount: str = "1.00", **kw: object) -> OperationResult:
    return run_operation(ctx, OperationRequest("refund", parent, user, amount=amount, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("operation", "reason", "note", "message"),
    [
        ("refund", None, None, "a refund needs a reason: one of duplicate, fraudulent"),
        ("refund", "  ", None, "needs a reason"),
        ("refund", "bored", None, "'bored' is unknown"),
        ("refund", "other", None, "the reason 'other' needs a note"),
        ("refund", "other", "   ", "the reason 'other' needs a note"),
        ("chargeback", None, None, "a chargeback needs a reason"),
        ("capture", "duplicate", None, "a capture takes no reason"),
        ("refund", "duplicate", "x" * 501, "at most 500"),
    ],
)
def test_a_missing_unknown_or_unexplained_reason_is_refused_and_nothing_is_written(
    ctx: Context, operation: str, reason: str | None, note: str | None, message: str
) -> None:
    manager = add_user(ctx, "manager")
    parent = add_tx(ctx, "PA" if operation == "capture" else "DB", 10_000)
    before = row_counts(ctx)
    with pytest.raises(InputError) as err:
        run_operation(
            ctx, OperationRequest(operation, parent, manager, amount="1.00", reason=reason, reason_note=note)
        )
    assert message in err.value.message
    assert row_counts(ctx) == before


def test_the_reason_is_stored_with_the_child_and_the_audit_record_and_the_chain_still_verifies(
    ctx: Context,
) -> None:
    manager = add_user(ctx, "manager")
    parent = add_tx(ctx, "DB", 10_000)
    done = refund(ctx, parent, manager, reason=" Other ", reason_note="customer phoned twice")
    assert done.ok
    cb = run_operation(
        ctx, OperationRequest("chargeback", parent, manager, amount="5.00", reason="fraudulent")
    )
    assert cb.ok
    kids = {c.uuid: c for c in children(ctx, parent)}
    assert (kids[done.uuid or ""].reason_code, kids[done.uuid or ""].reason_note) == (
        "other",
        "customer phoned twice",
    )
    assert (kids[cb.uuid or ""].reason_code, kids[cb.uuid or ""].reason_note) == ("fraudulent", None)
    records = {r.child_uuid: r for r in audit_rows(ctx, parent)}
    assert records[done.uuid].reason_code == "other"
    assert records[done.uuid].reason_note == "customer phoned twice"
    assert "(reason: other)" in records[done.uuid].message  # the hashed part names it too
    assert records[cb.uuid].reason_code == "fraudulent"
    view = show_transaction(ctx, done.uuid or "", actor=SYSTEM)
    assert (view.transaction.reason_code, view.transaction.reason_note) == ("other", "customer phoned twice")
    assert verify_audit_chain(ctx, actor=SYSTEM).ok


def test_a_refused_attempt_keeps_its_reason_in_the_audit_record(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 1_000)
    result = refund(ctx, parent, analyst, amount="20.00", reason="duplicate")
    assert result.outcome == "refused" and result.result_code == rc.REFUND_VOLUME_EXCEEDED
    [record] = audit_rows(ctx, parent)
    assert record.reason_code == "duplicate" and record.child_uuid is None


def test_history_filters_by_reason_and_both_exports_carry_it(ctx: Context) -> None:
    manager = add_user(ctx, "manager")
    parent = add_tx(ctx, "DB", 10_000, transaction_id="ORD-REASONS")
    dup = refund(ctx, parent, manager, reason="duplicate")
    fraud = refund(ctx, parent, manager, reason="fraudulent")
    run_operation(ctx, OperationRequest("rebill", parent, manager, amount="1.00"))
    only = list_history(ctx, parse_history_filters(reason="Fraudulent"), actor=manager)
    assert [(e.child_uuid, e.reason_code) for e in only] == [(fraud.uuid, "fraudulent")]
    assert len(list_history(ctx, parse_history_filters(), actor=manager)) == 3
    with pytest.raises(InputError, match="Reason"):
        parse_history_filters(reason="drop table;")

    out = io.StringIO()
    export_history_csv(ctx, parse_history_filters(reason="duplicate"), out, actor=manager)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["child_uuid"], r["reason_code"]) for r in rows] == [(dup.uuid, "duplicate")]

    out = io.StringIO()
    export_csv(ctx, SearchFilters(), out, actor=manager)  # every transaction of this database
    tx_rows = {r["uuid"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert tx_rows[dup.uuid or ""]["reason_code"] == "duplicate"
    assert tx_rows[fraud.uuid or ""]["reason_code"] == "fraudulent"
    assert tx_rows[parent]["reason_code"] == ""


def test_an_approval_request_carries_the_reason_to_the_booking(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 500_000)
    waiting = refund(ctx, parent, analyst, amount="2000.00", reason="other", reason_note="goodwill")
    assert waiting.outcome == "awaiting_approval" and waiting.request_id is not None
    [request] = approvals.list_approvals(ctx, actor=SYSTEM, state="open")
    assert (request.reason_code, request.reason_note) == ("other", "goodwill")
    done = approvals.approve(ctx, waiting.request_id, actor=add_user(ctx, "manager"))
    assert done.outcome == "success" and done.child_uuid
    [child] = children(ctx, parent)
    assert (child.reason_code, child.reason_note) == ("other", "goodwill")
    booked = [r for r in audit_rows(ctx, parent) if r.child_uuid == child.uuid and r.operation == "refund"]
    assert [(r.reason_code, r.reason_note) for r in booked] == [("other", "goodwill")]


def test_an_unconfirmed_amount_above_the_threshold_is_refused_and_below_it_books(ctx: Context) -> None:
    manager = add_user(ctx, "manager")
    parent = add_tx(ctx, "DB", 500_000)
    yen = add_tx(ctx, "DB", 1_000_000, currency="JPY")
    before = row_counts(ctx)
    with pytest.raises(InputError, match=r"Confirmation: 1000\.01 EUR is above 1000\.00 EUR"):
        refund(ctx, parent, manager, amount="1000.01", reason="duplicate", confirmed=False)
    with pytest.raises(InputError, match="150000 JPY"):
        refund(ctx, yen, manager, amount="150001", reason="duplicate", confirmed=False)
    assert row_counts(ctx) == before
    assert refund(ctx, parent, manager, amount="1000.00", reason="duplicate", confirmed=False).ok
    assert refund(ctx, yen, manager, amount="150000", reason="duplicate", confirmed=False).ok
    assert refund(ctx, parent, manager, amount="1500.00", reason="duplicate", confirmed=True).ok


def test_balances_tell_settled_from_pending(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 5_000)
    add_tx(ctx, "RF", 648, parent=parent)
    add_tx(ctx, "RF", 915, parent=parent, result_code=rc.PENDING)
    add_tx(ctx, "RF", 100, parent=parent, result_code="800.100.100")  # rejected: counts for nothing
    balances = show_transaction(ctx, parent, actor=SYSTEM).balances
    assert balances["refunded"].to_str() == "15.63"  # what is reserved, settled or not
    assert balances["refunded_pending"].to_str() == "9.15"
    assert balances["available"].to_str() == "34.37"
    assert show_transaction(ctx, parent, actor=SYSTEM).to_dict()["balances"]["refunded_pending"] == "9.15"
