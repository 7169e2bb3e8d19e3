"""Four-eyes approval on both backends: requests reserve, a second person decides, once."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import func, select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, NotFound, OperationRefused, PermissionDenied
from bo_core.domain.permissions import Permission, Role
from bo_core.services import approvals
from bo_core.services.audit import verify_audit_chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.show import show_transaction
from tests.factories import Clock, add_tx, add_user, row_counts


def _refund(ctx: Context, parent: str, user: str, amount: str, key: str | None = None) -> OperationResult:
    return run_operation(
        ctx,
        OperationRequest(
            "refund", parent, user, amount=amount, idempotency_key=key, reason="requested_by_customer"
        ),
    )


def _children(ctx: Context, parent: str) -> int:
    with ctx.db.uow() as uow:
        stmt = select(func.count()).where(TransactionRow.parent_uuid == parent)
        return int(uow.session.execute(stmt).scalar_one())


def _audit_operations(ctx: Context) -> list[tuple[str, str, str]]:
    with ctx.db.uow() as uow:
        rows = uow.session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
        return [(r.operation, r.outcome, r.username) for r in rows]


def test_a_refund_above_the_analysts_threshold_waits_and_reserves_its_amount(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)  # 5,000.00 EUR
    analyst = add_user(ctx, "analyst")
    result = _refund(ctx, parent, analyst, "1500.00")
    assert result.outcome == "awaiting_approval" and result.request_id is not None
    assert result.uuid is None and _children(ctx, parent) == 0
    balances = show_transaction(ctx, parent, actor=SYSTEM).balances
    assert balances["awaiting_approval"].to_str() == "1500.00" and balances["available"].to_str() == "3500.00"
    # A concurrent operation cannot spend the reserved amount.
    manager = add_user(ctx, "manager")
    over = _refund(ctx, parent, manager, "3500.01")  # below the manager's threshold: runs at once
    assert over.outcome == "refused" and over.result_code == rc.REFUND_VOLUME_EXCEEDED
    assert _refund(ctx, parent, manager, "3500.00").ok


def test_at_the_threshold_no_approval_is_needed(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    assert _refund(ctx, parent, add_user(ctx, "analyst"), "1000.00").ok


def test_a_second_request_for_the_same_operation_is_refused_naming_the_open_one(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    first = _refund(ctx, parent, analyst, "1500.00")
    second = _refund(ctx, parent, add_user(ctx, "analyst"), "1200.00")
    assert second.outcome == "refused" and second.result_code == rc.APPROVAL_ALREADY_OPEN
    assert f"request {first.request_id}" in second.message


def test_the_requester_can_never_approve_their_own_request_whatever_the_role(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 5_000_000)  # 50,000.00 EUR: above the manager's threshold too
    manager = add_user(ctx, "manager")
    request = _refund(ctx, parent, manager, "30000.00")
    assert request.outcome == "awaiting_approval" and request.request_id is not None
    before = row_counts(ctx)
    with pytest.raises(PermissionDenied, match="may not approve"):
        approvals.approve(ctx, request.request_id, actor=manager)
    assert row_counts(ctx) == before
    [view] = approvals.list_approvals(ctx, actor=SYSTEM)
    assert view.state == "open"
    done = approvals.approve(ctx, request.request_id, actor=add_user(ctx, "manager"))
    assert done.state == "approved" and done.outcome == "success" and done.child_uuid
    assert _children(ctx, parent) == 1
    balances = show_transaction(ctx, parent, actor=SYSTEM).balances
    assert balances["refunded"].to_str() == "30000.00" and balances["awaiting_approval"].to_str() == "0.00"


def test_approving_needs_the_approve_permission_and_the_operations_own(ctx: Context) -> None:
    roles = {
        **ctx.settings.roles,
        "approver": Role(
            "approver", frozenset({Permission.TRANSACTIONS_VIEW, Permission.OPERATIONS_APPROVE})
        ),
    }
    ctx.settings = dataclasses.replace(ctx.settings, roles=roles)
    parent = add_tx(ctx, "DB", 500_000)
    rid = _refund(ctx, parent, add_user(ctx, "analyst"), "2000.00").request_id
    assert rid is not None
    with pytest.raises(PermissionDenied):
        approvals.approve(ctx, rid, actor=add_user(ctx, "analyst"))
    with pytest.raises(PermissionDenied, match="refund"):
        approvals.approve(ctx, rid, actor=add_user(ctx, "approver"))
    with pytest.raises(PermissionDenied):
        approvals.approve(ctx, rid, actor=SYSTEM)
    assert approvals.list_approvals(ctx, actor=SYSTEM, state="open")[0].id == rid
    assert _children(ctx, parent) == 0


def test_two_managers_approving_at_the_same_moment_book_one_operation(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    rid = _refund(ctx, parent, add_user(ctx, "analyst"), "2000.00").request_id
    managers = [add_user(ctx, "manager") for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(name: str) -> None:
        barrier.wait()
        try:
            approvals.approve(ctx, rid or 0, actor=name)
            outcomes.append("approved")
        except OperationRefused as exc:
            outcomes.append(exc.result_code)

    threads = [threading.Thread(target=approve, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == sorted(["approved", rc.APPROVAL_NOT_OPEN])
    assert _children(ctx, parent) == 1
    assert verify_audit_chain(ctx, actor=SYSTEM).ok


def test_approval_rechecks_balances_and_stores_a_refused_execution(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    rid = _refund(ctx, parent, add_user(ctx, "analyst"), "2000.00").request_id
    manager = add_user(ctx, "manager")
    chargeback = run_operation(
        ctx, OperationRequest("chargeback", parent, manager, amount="3000.00", reason="requested_by_customer")
    )
    assert chargeback.ok
    done = approvals.approve(ctx, rid or 0, actor=add_user(ctx, "manager"))
    assert done.state == "approved" and done.outcome == "refused"
    assert done.result_code == rc.OPEN_CHARGEBACK and done.child_uuid is None
    assert _children(ctx, parent) == 1  # only the chargeback
    assert show_transaction(ctx, parent, actor=SYSTEM).balances["awaiting_approval"].to_str() == "0.00"


def test_a_rejection_needs_a_reason_and_the_requester_cannot_reject(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    rid = _refund(ctx, parent, analyst, "2000.00").request_id or 0
    manager = add_user(ctx, "manager")
    for empty in (None, "", "   "):
        with pytest.raises(InputError, match="reason"):
            approvals.reject(ctx, rid, actor=manager, reason=empty)
    with pytest.raises(PermissionDenied):
        approvals.reject(ctx, rid, actor=analyst, reason="mine")
    done = approvals.reject(ctx, rid, actor=manager, reason="customer already refunded by bank")
    assert (done.state, done.decided_by, done.reason) == (
        "rejected",
        manager,
        "customer already refunded by bank",
    )
    assert show_transaction(ctx, parent, actor=SYSTEM).balances["available"].to_str() == "5000.00"
    with pytest.raises(OperationRefused, match="rejected"):
        approvals.approve(ctx, rid, actor=manager)


def test_only_the_requester_cancels_while_open(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    rid = _refund(ctx, parent, analyst, "2000.00").request_id or 0
    with pytest.raises(PermissionDenied):
        approvals.cancel(ctx, rid, actor=add_user(ctx, "manager"))
    assert approvals.cancel(ctx, rid, actor=analyst).state == "cancelled"
    with pytest.raises(OperationRefused):
        approvals.cancel(ctx, rid, actor=analyst)
    # A new request is possible once the old one is closed.
    assert _refund(ctx, parent, analyst, "2000.00").outcome == "awaiting_approval"


def test_requests_expire_and_release_their_reservation(ctx: Context, clock: Clock) -> None:
    ctx.settings = dataclasses.replace(ctx.settings, approval_hours=0.5)
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    rid = _refund(ctx, parent, analyst, "2000.00").request_id or 0
    clock.advance(minutes=29)
    assert show_transaction(ctx, parent, actor=SYSTEM).balances["awaiting_approval"].to_str() == "2000.00"
    clock.advance(minutes=2)
    assert show_transaction(ctx, parent, actor=SYSTEM).balances["available"].to_str() == "5000.00"
    [view] = approvals.list_approvals(ctx, actor=analyst)
    assert (view.id, view.state) == (rid, "expired")
    with pytest.raises(OperationRefused, match="expired"):
        approvals.approve(ctx, rid, actor=add_user(ctx, "manager"))
    assert ("approval_expired", "success", "system") in _audit_operations(ctx)


def test_an_expired_open_request_does_not_block_a_new_one(ctx: Context, clock: Clock) -> None:
    ctx.settings = dataclasses.replace(ctx.settings, approval_hours=1)
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    first = _refund(ctx, parent, analyst, "2000.00").request_id
    clock.advance(hours=2)
    second = _refund(ctx, parent, analyst, "2000.00")
    assert second.outcome == "awaiting_approval" and second.request_id != first


def test_every_step_is_in_the_audit_chain(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst, manager = add_user(ctx, "analyst"), add_user(ctx, "manager")
    rid = _refund(ctx, parent, analyst, "1500.00").request_id or 0
    approvals.approve(ctx, rid, actor=manager)
    rid2 = _refund(ctx, parent, analyst, "1500.00").request_id or 0
    approvals.reject(ctx, rid2, actor=manager, reason="duplicate")
    rid3 = _refund(ctx, parent, analyst, "1500.00").request_id or 0
    approvals.cancel(ctx, rid3, actor=analyst)
    assert _audit_operations(ctx) == [
        ("refund", "awaiting_approval", analyst),
        ("approval_approved", "success", manager),
        ("refund", "success", analyst),
        ("refund", "awaiting_approval", analyst),
        ("approval_rejected", "success", manager),
        ("refund", "awaiting_approval", analyst),
        ("approval_cancelled", "success", analyst),
    ]
    assert verify_audit_chain(ctx, actor=SYSTEM).ok


def test_a_replayed_request_names_the_same_request(ctx: Context) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    first = _refund(ctx, parent, analyst, "1500.00", key="key-approval-1")
    again = _refund(ctx, parent, analyst, "1500.00", key="key-approval-1")
    assert again.replayed and again.request_id == first.request_id


def test_requesters_see_their_own_requests_and_approvers_see_all(ctx: Context) -> None:
    a1, a2, manager = add_user(ctx, "analyst"), add_user(ctx, "analyst"), add_user(ctx, "manager")
    _refund(ctx, add_tx(ctx, "DB", 500_000), a1, "1500.00")
    _refund(ctx, add_tx(ctx, "DB", 500_000), a2, "1500.00")
    assert [v.requested_by for v in approvals.list_approvals(ctx, actor=a1)] == [a1]
    assert len(approvals.list_approvals(ctx, actor=manager)) == 2
    assert approvals.open_approval_count(ctx, actor=manager) == 2
    assert approvals.open_approval_count(ctx, actor=a1) == 0
    with pytest.raises(InputError):
        approvals.list_approvals(ctx, actor=manager, state="pending")
    with pytest.raises(NotFound):
        approvals.approve(ctx, 999, actor=manager)
