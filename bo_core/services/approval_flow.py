"""Four-eyes approval inside ``run_operation``: when a request is needed, opening
it, expiring old ones. The decisions (approve, reject, cancel) live in
``services.approvals``.

An open request reserves its amount: ``ledger.position`` counts it like a
pending child until it is decided or expires (``BO_APPROVAL_HOURS``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.models import ApprovalRequest, AuditRecord, UserRow
from bo_core.domain import result_codes as rc
from bo_core.domain.errors import OperationRefused
from bo_core.domain.fields import OperationFields
from bo_core.domain.money import Money, minor_to_str
from bo_core.domain.permissions import Role
from bo_core.domain.reasons import OperationReason
from bo_core.domain.types import ApprovalState, Operation, Outcome
from bo_core.security import events
from bo_core.services import audit
from bo_core.services.context import Context
from bo_core.services.ledger import Position

if TYPE_CHECKING:
    from bo_core.services.execute import OperationResult

SYSTEM_NAME = "system"


class RecordFn(Protocol):
    def __call__(
        self,
        s: Session,
        now: datetime,
        user: UserRow,
        operation: Operation,
        before: Position,
        child: None,
        fields: OperationFields,
        key: str | None,
        refused: None,
        *,
        message: str | None = None,
        outcome: Outcome | None = None,
        result_code: str | None = None,
        amount: Money | None = None,
        reason: OperationReason | None = None,
    ) -> OperationResult: ...


def needs_approval(role: Role, amount: Money) -> bool:
    """Strictly above the role's threshold for the currency; no threshold, no approval."""
    threshold = role.approval_threshold(amount.currency)
    return threshold is not None and amount > threshold


def refuse_second_open_request(s: Session, parent_uuid: str, operation: Operation) -> None:
    """One open request per transaction and operation: name the open one."""
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.parent_uuid == parent_uuid,
        ApprovalRequest.operation == operation.value,
        ApprovalRequest.state == ApprovalState.OPEN.value,
    )
    found = s.execute(stmt).scalars().first()
    if found is not None:
        raise OperationRefused(
            rc.APPROVAL_ALREADY_OPEN,
            f"Approval request {found.id} for this {operation.label.lower()} is already open "
            f"(requested by {found.requested_by}); decide or cancel it first",
        )


def open_request(
    s: Session,
    ctx: Context,
    user: UserRow,
    operation: Operation,
    pos: Position,
    amount: Money,
    fields: OperationFields,
    key: str | None,
    now: datetime,
    record: RecordFn,
    reason: OperationReason | None = None,
) -> OperationResult:
    """Store the validated operation as an open request and audit it; nothing is booked."""
    parent = pos.row
    request = ApprovalRequest(
        state=ApprovalState.OPEN.value,
        operation=operation.value,
        parent_uuid=parent.uuid,
        merchant=parent.merchant,
        channel=parent.channel,
        currency=parent.currency,
        amount_minor=amount.minor,
        usage=fields.usage,
        transaction_id=fields.transaction_id,
        memo=fields.memo,
        idempotency_key=key,
        requested_by=user.username,
        requested_at=now,
        expires_at=now + timedelta(hours=ctx.settings.approval_hours),
        reason_code=reason.code if reason else None,
        reason_note=reason.note if reason else None,
    )
    s.add(request)
    s.flush()
    _step_event(s, request, "requested", user.username, now)
    threshold = ctx.settings.role(user.role).approval_threshold(amount.currency)
    result = record(
        s,
        now,
        user,
        operation,
        pos,
        None,
        fields,
        key,
        None,
        message=f"{operation.label} of {amount} is above {threshold} for role {user.role}: "
        f"approval request {request.id} awaits a second person",
        outcome=Outcome.AWAITING_APPROVAL,
        result_code=rc.AWAITING_APPROVAL,
        amount=amount,
        reason=reason,
    )
    return replace(result, request_id=request.id)


def with_request_id(s: Session, result: OperationResult, key: str) -> OperationResult:
    """A replayed "awaiting approval" answer names its request again."""
    if result.outcome != Outcome.AWAITING_APPROVAL:
        return result
    found = s.execute(
        select(ApprovalRequest.id).where(ApprovalRequest.idempotency_key == key)
    ).scalar_one_or_none()
    return replace(result, request_id=found)


def step_record(
    s: Session,
    request: ApprovalRequest,
    step: str,
    username: str,
    role: str | None,
    now: datetime,
    message: str,
) -> None:
    """One audit record and one security event for an approval step (approved, rejected, ...)."""
    _step_event(s, request, step, username, now)
    audit.append(
        s,
        AuditRecord(
            created_at=now,
            username=username,
            role=role,
            operation=f"approval_{step}",
            parent_uuid=request.parent_uuid,
            child_uuid=request.child_uuid,
            merchant=request.merchant,
            currency=request.currency,
            amount_minor=request.amount_minor,
            transaction_id=request.transaction_id,
            reason_code=request.reason_code,
            reason_note=request.reason_note,
            outcome=Outcome.SUCCESS.value,
            result_code=rc.SUCCESS,
            message=message[:500],
        ),
    )


def _step_event(s: Session, request: ApprovalRequest, step: str, username: str, now: datetime) -> None:
    details: dict[str, object] = {
        "request_id": request.id,
        "operation": request.operation,
        "parent_uuid": request.parent_uuid,
        "amount": minor_to_str(request.amount_minor, request.currency),
        "currency": request.currency,
        "requested_by": request.requested_by,
    }
    if request.reason:
        details["reason"] = request.reason
    events.record_event_at(
        s, now, f"approval_{step}", actor=username, target=f"approval request {request.id}", details=details
    )


def expire(s: Session, request: ApprovalRequest, now: datetime) -> None:
    request.state = ApprovalState.EXPIRED.value
    request.decided_at = now
    request.decided_by = SYSTEM_NAME
    amount = minor_to_str(request.amount_minor, request.currency)
    step_record(
        s,
        request,
        "expired",
        SYSTEM_NAME,
        None,
        now,
        f"Approval request {request.id} ({request.operation} of {amount} {request.currency}) expired "
        f"unanswered; its reservation is released",
    )
    s.flush()


def expire_due(s: Session, now: datetime, *, parent_uuid: str | None = None) -> int:
    """Mark open requests past their expiry as expired (audited); return how many."""
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.state == ApprovalState.OPEN.value, ApprovalRequest.expires_at <= now
    )
    if parent_uuid is not None:
        stmt = stmt.where(ApprovalRequest.parent_uuid == parent_uuid)
    # FOR UPDATE on PostgreSQL: a request being approved right now is skipped once it is decided.
    due = list(s.execute(stmt.order_by(ApprovalRequest.id).with_for_update()).scalars())
    for request in due:
        expire(s, request, now)
    return len(due)
