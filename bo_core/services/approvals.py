"""Four-eyes approval: list, approve, reject and cancel requests.

Rules (all enforced here, whatever the caller):

- only a signed-in user decides (not ``SYSTEM``); the requester can never
  approve their own request, whatever their role;
- approving needs ``operations:approve`` and the permission for the operation
  itself; a refused approval leaves the request open;
- approval locks the parent, re-reads the request (two approvers at once: the
  second finds it decided) and re-runs every check of ``run_operation``
  (balances may have changed) before it books; a refused execution is stored on
  the request, nothing is half-done;
- a rejection needs a reason; the requester may cancel while the request is open;
- every step is an audit record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bo_core.db.models import ApprovalRequest, UserRow
from bo_core.db.scope_sql import transactions_in, where
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import Actor, SystemActor, actor_refusal, missing_actor, role_refusal
from bo_core.domain.errors import InputError, NotFound, OperationRefused, PermissionDenied
from bo_core.domain.fields import parse_fields
from bo_core.domain.money import Money, minor_to_str
from bo_core.domain.permissions import Permission, Role, permission_for
from bo_core.domain.reasons import OperationReason
from bo_core.domain.types import ApprovalState, Operation, Outcome
from bo_core.services import approval_flow, gateway_send
from bo_core.services.access import require_scoped, scope_in
from bo_core.services.context import Context
from bo_core.services.execute import (
    OperationRequest,
    _child,
    _decide,
    _duplicate_txid,
    _insert,
    _record,
    suggest_transaction_id,
)
from bo_core.services.ledger import get_transaction, position

REASON_MAX = 500
STATES = tuple(s.value for s in ApprovalState)


@dataclass(frozen=True)
class ApprovalView:
    id: int
    state: str
    operation: str
    parent_uuid: str
    merchant: str
    amount: str
    currency: str
    transaction_id: str | None
    requested_by: str
    requested_at: str
    expires_at: str
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    child_uuid: str | None
    outcome: str | None
    result_code: str | None
    message: str | None
    reason_code: str | None = None
    """Refund or chargeback: the operation's reason (not the rejection's, which is ``reason``)."""
    reason_note: str | None = None

    @classmethod
    def of(cls, r: ApprovalRequest) -> ApprovalView:
        return cls(
            id=r.id,
            state=r.state,
            operation=r.operation,
            parent_uuid=r.parent_uuid,
            merchant=r.merchant,
            amount=minor_to_str(r.amount_minor, r.currency),
            currency=r.currency,
            transaction_id=r.transaction_id,
            requested_by=r.requested_by,
            requested_at=r.requested_at.isoformat(),
            expires_at=r.expires_at.isoformat(),
            decided_by=r.decided_by,
            decided_at=r.decided_at.isoformat() if r.decided_at else None,
            reason=r.reason,
            child_uuid=r.child_uuid,
            outcome=r.outcome,
            result_code=r.result_code,
            message=r.message,
            reason_code=r.reason_code,
            reason_note=r.reason_note,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_state(state: str | None) -> str | None:
    if state is None or not str(state).strip():
        return None
    text = str(state).strip().lower()
    if text not in STATES:
        raise InputError("State", f"{str(state)[:40]!r} is unknown; use one of {', '.join(STATES)}")
    return text


def _parse_id(request_id: object) -> int:
    try:
        value = int(str(request_id).strip())
    except ValueError:
        raise InputError("Request", f"{str(request_id)[:40]!r} is not a request number") from None
    if value < 1 or value > 2**62:
        raise InputError("Request", "is not a request number")
    return value


def _sees_all(role: Role | None) -> bool:
    return role is None or role.can(Permission.OPERATIONS_APPROVE)


def list_approvals(
    ctx: Context, *, actor: Actor, state: str | None = None, limit: int = 500
) -> list[ApprovalView]:
    """Requests newest first; approvers (and ``SYSTEM``) see all, others their own.

    Requests past their expiry are marked expired first (audited).
    """
    role, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    wanted = _parse_state(state)
    with ctx.db.uow(write=True) as uow:
        if approval_flow.expire_due(uow.session, ctx.now()):
            uow.commit()
    with ctx.db.uow() as uow:
        stmt = select(ApprovalRequest).where(*where(transactions_in(scope, ApprovalRequest)))
        if wanted is not None:
            stmt = stmt.where(ApprovalRequest.state == wanted)
        if not _sees_all(role):
            stmt = stmt.where(ApprovalRequest.requested_by == str(actor))
        stmt = stmt.order_by(ApprovalRequest.id.desc()).limit(max(1, min(limit, 5000)))
        return [ApprovalView.of(r) for r in uow.session.execute(stmt).scalars()]


def open_approval_count(ctx: Context, *, actor: Actor) -> int:
    """Open, unexpired requests this actor could decide (the sidebar's badge); 0 for non-approvers."""
    role, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if role is not None and not role.can(Permission.OPERATIONS_APPROVE):
        return 0
    with ctx.db.uow() as uow:
        stmt = select(func.count()).where(
            ApprovalRequest.state == ApprovalState.OPEN.value,
            ApprovalRequest.expires_at > ctx.now(),
            *where(transactions_in(scope, ApprovalRequest)),
        )
        if not isinstance(actor, SystemActor):
            stmt = stmt.where(ApprovalRequest.requested_by != actor)
        return int(uow.session.execute(stmt).scalar_one())


def _person(s: Session, actor: Actor, what: str) -> UserRow:
    """The signed-in user deciding: ``SYSTEM`` cannot be the second person."""
    refused = missing_actor(actor)
    if refused is not None:
        raise refused
    if isinstance(actor, SystemActor):
        raise PermissionDenied(f"Only a signed-in user may {what} a request (use --as USER)")
    user = s.get(UserRow, actor)
    refused = actor_refusal(actor, known=user is not None, active=bool(user and user.active))
    if refused is not None or user is None:
        raise refused or PermissionDenied("unknown user")
    return user


def _locked_open(ctx: Context, s: Session, request_id: int, user: UserRow) -> tuple[ApprovalRequest, Any]:
    """Lock the request's parent, then re-read the request; refuse one that is not open.

    A request on a transaction outside the user's scope does not exist for them.
    """
    request = s.get(ApprovalRequest, request_id)
    if request is None or not scope_in(s, user.username).allows(request.merchant, request.channel):
        raise NotFound(f"No approval request {request_id}")
    parent = get_transaction(s, request.parent_uuid, lock=True)
    s.refresh(request, with_for_update=True)
    now = ctx.now()
    if request.state == ApprovalState.OPEN.value and request.expires_at <= now:
        approval_flow.expire(s, request, now)
        s.commit()
    if request.state != ApprovalState.OPEN.value:
        raise OperationRefused(
            rc.APPROVAL_NOT_OPEN,
            f"Approval request {request_id} is {request.state}"
            + (f" (by {request.decided_by})" if request.decided_by else ""),
        )
    return request, parent


def approve(ctx: Context, request_id: int | str, *, actor: Actor) -> ApprovalView:
    """Approve and execute the request once; see the module docstring for the checks."""
    rid = _parse_id(request_id)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        approver = _person(s, actor, "approve")
        request, parent = _locked_open(ctx, s, rid, approver)
        if request.requested_by == approver.username:
            raise PermissionDenied(
                f"{approver.username} requested approval request {rid} and may not approve it: "
                "a second person must"
            )
        role = ctx.settings.role(approver.role)
        operation = Operation(request.operation)
        for permission, action in (
            (Permission.OPERATIONS_APPROVE, "approve operations"),
            (permission_for(operation), f"run {operation.label.lower()}"),
        ):
            refused = role_refusal(role, permission, action)
            if refused is not None:
                raise refused
        now = ctx.now()
        pos = position(s, parent, now=now, exclude_request=request.id)
        requester = s.get(UserRow, request.requested_by)
        if requester is None:  # users are never deleted; kept for the type checker
            raise NotFound(f"No user named {request.requested_by!r}")
        fields = parse_fields(request.usage, request.transaction_id, request.memo)
        # The reason was validated when the request was opened; it travels unchanged.
        reason = OperationReason(request.reason_code, request.reason_note) if request.reason_code else None
        amount_text = minor_to_str(request.amount_minor, request.currency) if operation.takes_amount else None
        again = OperationRequest(operation.value, parent.uuid, approver.username, amount=amount_text)
        request.decided_by = approver.username
        request.decided_at = now
        request.state = ApprovalState.APPROVED.value
        try:
            gateway_send.refuse_unsendable(ctx.settings.gateway, operation)
            amount = _decide(ctx, operation, pos, role, again, now)
            if not operation.takes_amount and amount.minor != request.amount_minor:
                raise OperationRefused(
                    rc.ALREADY_PROCESSED, "The open amount changed since the request; request it again"
                )
            txid = fields.transaction_id or suggest_transaction_id(s, pos, operation)
            if fields.transaction_id and _duplicate_txid(s, parent.merchant, txid):
                raise OperationRefused(
                    rc.DUPLICATE_TRANSACTION_ID, f"Transaction ID {txid[:60]!r} is already used"
                )
        except PermissionDenied:
            raise  # leaves the request open: nothing was written
        except OperationRefused as refused:
            approval_flow.step_record(
                s,
                request,
                "approved",
                approver.username,
                approver.role,
                now,
                f"Approval request {rid} approved by {approver.username}; execution refused",
            )
            result = _record(
                s,
                now,
                requester,
                operation,
                pos,
                None,
                fields,
                None,
                refused,
                message=f"Approved request {rid} refused at execution: {refused.message}",
                attempted=Money(request.amount_minor, request.currency),
                reason=reason,
            )
            _store_outcome(request, result.outcome, result.result_code, result.message, None)
            uow.commit()
            return ApprovalView.of(request)
        child = _child(parent, operation, amount, txid, fields, requester.username, now, reason)
        if ctx.settings.gateway.is_opp:
            gateway_send.mark_attempt(child)  # committed as the attempt before the call
        _insert(s, child)
        request.child_uuid = child.uuid
        approval_flow.step_record(
            s,
            request,
            "approved",
            approver.username,
            approver.role,
            now,
            f"Approval request {rid} approved by {approver.username}",
        )
        result = _record(
            s,
            now,
            requester,
            operation,
            pos,
            child,
            fields,
            None,
            None,
            message=f"{operation.label} booked: request {rid} of {requester.username} "
            f"approved by {approver.username}",
            reason=reason,
        )
        _store_outcome(request, result.outcome, result.result_code, result.message, child.uuid)
        uow.commit()
        view = ApprovalView.of(request)
    if result.outcome != Outcome.PENDING:
        return view
    # Gateway mode: the approved operation is sent like any other, after its attempt is committed;
    # the gateway's answer (or its absence: outcome unknown) becomes the request's outcome.
    sent = gateway_send.complete(ctx, result, requester.username)
    with ctx.db.uow(write=True) as uow:
        request = uow.session.get_one(ApprovalRequest, rid)
        _store_outcome(request, sent.outcome, sent.result_code, sent.message, sent.uuid)
        uow.commit()
        return ApprovalView.of(request)


def _store_outcome(
    request: ApprovalRequest, outcome: str, code: str, message: str, child_uuid: str | None
) -> None:
    request.outcome = outcome
    request.result_code = code
    request.message = message[:500]
    request.child_uuid = child_uuid


def reject(ctx: Context, request_id: int | str, *, actor: Actor, reason: str | None) -> ApprovalView:
    """Reject with a reason (required); needs ``operations:approve``; not one's own request."""
    rid = _parse_id(request_id)
    text = (reason or "").strip() if isinstance(reason, str) or reason is None else None
    if not text:
        raise InputError("Reason", "a rejection needs a reason")
    if len(text) > REASON_MAX or not text.isprintable():
        raise InputError("Reason", f"printable text, at most {REASON_MAX} characters")
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        user = _person(s, actor, "reject")
        request, _ = _locked_open(ctx, s, rid, user)
        if request.requested_by == user.username:
            raise PermissionDenied(f"{user.username} requested approval request {rid}: cancel it instead")
        refused = role_refusal(ctx.settings.role(user.role), Permission.OPERATIONS_APPROVE, "reject requests")
        if refused is not None:
            raise refused
        now = ctx.now()
        request.state = ApprovalState.REJECTED.value
        request.decided_by, request.decided_at, request.reason = user.username, now, text
        approval_flow.step_record(
            s,
            request,
            "rejected",
            user.username,
            user.role,
            now,
            f"Approval request {rid} rejected by {user.username}: {text}",
        )
        uow.commit()
        return ApprovalView.of(request)


def cancel(ctx: Context, request_id: int | str, *, actor: Actor) -> ApprovalView:
    """The requester withdraws their own open request."""
    rid = _parse_id(request_id)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        user = _person(s, actor, "cancel")
        request, _ = _locked_open(ctx, s, rid, user)
        if request.requested_by != user.username:
            raise PermissionDenied(f"Only {request.requested_by}, who requested it, may cancel request {rid}")
        now = ctx.now()
        request.state = ApprovalState.CANCELLED.value
        request.decided_by, request.decided_at = user.username, now
        approval_flow.step_record(
            s,
            request,
            "cancelled",
            user.username,
            user.role,
            now,
            f"Approval request {rid} cancelled by {user.username}",
        )
        uow.commit()
        return ApprovalView.of(request)
