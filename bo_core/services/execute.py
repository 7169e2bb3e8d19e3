"""Run one back-office operation: all or nothing, audited, idempotent.

Steps, in one database transaction:

1. parse the request (malformed input raises ``InputError``: nothing written);
2. lock the parent (``SELECT ... FOR UPDATE`` on PostgreSQL; the write unit of
   work holds SQLite's write lock from its first statement);
3. replay: a known idempotency key returns the first result, writes nothing;
4. check the user (active), then type, status, balances and the role (one
   function, ``domain.availability.refusal``; the order is explained in
   ``domain.authorization``), then currency, amount and Transaction ID uniqueness;
5. write the child transaction and the audit record, commit.

A refusal writes only its audit record and returns an ``OperationResult`` with
``outcome == "refused"``. Two phases are kept apart on purpose: ``_decide``
validates and builds the child, ``_apply`` writes it; an approval step for
large amounts can later sit between them.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from bo_core.db.models import AuditRecord, Base, TransactionRow, UserRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import Actor, actor_refusal
from bo_core.domain.availability import check_amount, rebill_total_refusal, refusal
from bo_core.domain.errors import (
    BoError,
    DatabaseUnavailable,
    IdempotencyKeyReused,
    InputError,
    NotFound,
    OperationRefused,
)
from bo_core.domain.fields import OperationFields, parse_fields, parse_idempotency_key
from bo_core.domain.money import Money, parse_amount
from bo_core.domain.permissions import Permission, Role
from bo_core.domain.reasons import OperationReason, parse_reason
from bo_core.domain.types import Operation, Outcome, Source, Status, TxType
from bo_core.services import approval_flow, audit, gateway_send
from bo_core.services.access import require_scoped, scope_in
from bo_core.services.context import Context
from bo_core.services.export import plain
from bo_core.services.ledger import Position, get_transaction, parse_uuid, position

MAX_ATTEMPTS = 5
USERNAME_MAX = 64
Checkpoint = Callable[[str], None]


@dataclass(frozen=True)
class OperationRequest:
    """What a user submits; every field is raw text as typed."""

    operation: str
    parent_uuid: str
    username: str
    amount: str | None = None
    usage: str | None = None
    transaction_id: str | None = None
    memo: str | None = None
    idempotency_key: str | None = None
    currency: str | None = None
    reason: str | None = None
    """Refund and chargeback: one of the configured reasons (``domain.reasons``)."""
    reason_note: str | None = None
    confirmed: bool = True
    """False until the user confirmed an amount above ``BO_CONFIRM_ABOVE`` (the dialog's second step)."""
    reason_required: bool = True
    """False for the command line and bulk files, which may leave the reason out (``domain.reasons``)."""


@dataclass(frozen=True)
class OperationResult:
    outcome: str
    operation: str
    parent_uuid: str
    uuid: str | None
    transaction_id: str | None
    result_code: str
    status: str
    message: str
    amount: Money | None
    currency: str | None
    available_before: Money | None
    available_after: Money | None
    replayed: bool = False
    # Gateway mode (``BO_GATEWAY=opp``): the gateway's id of the new transaction,
    # and why its outcome is not known yet (``outcome == "unknown"``).
    gateway_id: str | None = None
    pending_reason: str | None = None
    request_id: int | None = None
    """The approval request, when ``outcome == "awaiting_approval"``."""

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SUCCESS

    def to_dict(self) -> dict[str, Any]:
        """The ``bo run --json`` shape (amounts as decimal strings)."""
        data: dict[str, Any] = plain(self)
        return data


def _no_checkpoint(_: str) -> None:
    return None


def run_operation(
    ctx: Context, request: OperationRequest, checkpoint: Checkpoint = _no_checkpoint
) -> OperationResult:
    """Execute ``request``; see the module docstring for the steps.

    ``checkpoint(name)`` is called after each step ("locked", "child_written",
    "audit_written", "before_commit"); tests use it to inject faults.
    Raises ``InputError``, ``NotFound`` or ``IdempotencyKeyReused`` for requests
    that cannot be attempted at all (nothing is written then).
    """
    try:
        operation = Operation(request.operation)
    except ValueError:
        names = ", ".join(o.value for o in Operation)
        raise InputError(
            "Operation", f"{str(request.operation)[:40]!r} is unknown; use one of {names}"
        ) from None
    parent_uuid = parse_uuid(request.parent_uuid)
    fields = parse_fields(request.usage, request.transaction_id, request.memo)
    key = parse_idempotency_key(request.idempotency_key)
    reason = parse_reason(
        operation,
        request.reason,
        request.reason_note,
        ctx.settings.operation_reasons,
        required=request.reason_required,
    )
    if not isinstance(request.username, str) or not request.username.strip():
        raise InputError("User", "is required")
    if len(request.username.strip()) > USERNAME_MAX or not request.username.strip().isprintable():
        # NUL bytes and lone surrogates cannot even be sent to the database.
        raise InputError("User", f"is not a username (printable, at most {USERNAME_MAX} characters)")
    last_error: Exception | None = None
    for _ in range(MAX_ATTEMPTS):
        try:
            result = _attempt(ctx, operation, parent_uuid, fields, key, request, checkpoint, reason)
            if result.outcome != Outcome.PENDING:
                return result
            # Gateway mode: the attempt is committed; send it (once) or report its state now.
            if result.replayed:
                return gateway_send.current(ctx, result)
            return gateway_send.complete(ctx, result, request.username.strip())
        except IntegrityError as exc:
            # A concurrent request took the same idempotency key or Transaction ID
            # first; the next attempt sees its row and replays or refuses cleanly.
            last_error = exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise DatabaseUnavailable(
                    "The database connection failed during the operation. Retry with the same "
                    "idempotency key: it books at most once."
                ) from exc
            if not _is_retryable(exc):
                raise
            last_error = exc
    assert last_error is not None
    raise last_error


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"}  # serialization failure, deadlock


def _attempt(
    ctx: Context,
    operation: Operation,
    parent_uuid: str,
    fields: OperationFields,
    key: str | None,
    request: OperationRequest,
    checkpoint: Checkpoint,
    reason: OperationReason | None = None,
) -> OperationResult:
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        parent = get_transaction(s, parent_uuid, lock=True)
        checkpoint("locked")
        requester = s.get(UserRow, request.username.strip())
        if (
            requester is not None
            and requester.active
            and not scope_in(s, requester.username).allows(parent.merchant, parent.channel)
        ):
            raise NotFound(f"No transaction with UUID {parent_uuid}")  # as if it did not exist
        if key is not None:
            replay = _replay(s, key, operation, parent_uuid, request.username.strip())
            if replay is not None:
                return approval_flow.with_request_id(s, replay, key)
        user = s.get(UserRow, request.username.strip())
        if user is None:
            raise NotFound(f"No user named {request.username.strip()[:64]!r}")
        now = ctx.now()
        approval_flow.expire_due(s, now, parent_uuid=parent.uuid)
        pos = position(s, parent, now=now)
        try:
            denied = actor_refusal(user.username, known=True, active=user.active)
            if denied is not None:
                raise denied
            role = ctx.settings.role(user.role)
            amount = _decide(ctx, operation, pos, role, request, now)
            unconfirmed = ctx.settings.confirm_above.refusal(amount, request.confirmed)
            if unconfirmed is not None:
                raise unconfirmed  # nothing written: the unit of work rolls back
            waits = approval_flow.needs_approval(role, amount)
            if waits:
                approval_flow.refuse_second_open_request(s, parent.uuid, operation)
            txid = fields.transaction_id or suggest_transaction_id(s, pos, operation)
            if fields.transaction_id and _duplicate_txid(s, parent.merchant, txid):
                raise OperationRefused(
                    rc.DUPLICATE_TRANSACTION_ID,
                    f"Transaction ID {txid[:60]!r} is already used by another operation "
                    f"of merchant {parent.merchant}",
                )
        except OperationRefused as refused:
            attempted = _attempted(operation, pos, request)
            result = _record(
                s, now, user, operation, pos, None, fields, key, refused, attempted=attempted, reason=reason
            )
            checkpoint("audit_written")
            checkpoint("before_commit")
            uow.commit()
            return result
        if waits:
            result = approval_flow.open_request(
                s, ctx, user, operation, pos, amount, fields, key, now, _record, reason
            )
            checkpoint("before_commit")
            uow.commit()
            return result
        child = _child(parent, operation, amount, txid, fields, user.username, now, reason)
        if ctx.settings.gateway.is_opp:
            gateway_send.mark_attempt(child)
        _insert(s, child)
        checkpoint("child_written")
        result = _record(s, now, user, operation, pos, child, fields, key, None, reason=reason)
        checkpoint("audit_written")
        checkpoint("before_commit")
        uow.commit()
        return result


def _decide(
    ctx: Context,
    operation: Operation,
    pos: Position,
    role: Role,
    request: OperationRequest,
    now: datetime,
) -> Money:
    """Validate the operation on this parent; return the amount to book."""
    parent = pos.row
    reason = refusal(
        operation,
        TxType(parent.type),
        Status(parent.status),
        parent.created_at,
        pos.balances,
        role,
        now,
        ctx.settings.capture_window,
    )
    if reason is not None:
        raise reason
    gateway_send.refuse_unsendable(ctx.settings.gateway, operation)
    if request.currency is not None and request.currency.strip().upper() != parent.currency:
        raise OperationRefused(
            rc.CURRENCY_MISMATCH,
            f"An operation is always in its parent's currency ({parent.currency})",
        )
    if not operation.takes_amount:
        if request.amount is not None and str(request.amount).strip():
            raise InputError("Amount", "a reversal takes no amount; it releases the whole open amount")
        return pos.balances.available
    amount = parse_amount(request.amount, parent.currency)
    check_amount(operation, amount, pos.balances, role)
    if operation is Operation.REBILL:
        earlier = [
            Money(c.amount_minor, c.currency)
            for c in pos.children
            if c.type == TxType.RB and c.status != Status.REJECTED
        ] + [r.amount for r in pos.reserved if r.type is TxType.RB]
        too_much = rebill_total_refusal(role, amount, earlier)
        if too_much is not None:
            raise too_much
    return amount


def _replay(
    s: Session, key: str, operation: Operation, parent_uuid: str, username: str
) -> OperationResult | None:
    """The first result for ``key``, if the same user sent the same operation on the same parent."""
    record = s.execute(select(AuditRecord).where(AuditRecord.idempotency_key == key)).scalar_one_or_none()
    if record is None:
        return None
    if (
        record.operation != operation.value
        or record.parent_uuid != parent_uuid
        or record.username != username
    ):
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different operation, transaction or user"
        )
    return _result_from(record, replayed=True)


def _duplicate_txid(s: Session, merchant: str, txid: str) -> bool:
    stmt = select(
        exists().where(
            TransactionRow.merchant == merchant,
            TransactionRow.transaction_id == txid,
            TransactionRow.source == Source.BACK_OFFICE.value,
        )
    )
    return bool(s.execute(stmt).scalar())


def suggest_transaction_id(s: Session, pos: Position, operation: Operation) -> str:
    """``<parent Transaction ID>-<type><n>``, the first one not yet used.

    ``n`` starts after the parent's children of that type (already read under
    the lock), so usually one uniqueness probe suffices.
    """
    parent = pos.row
    base = parent.transaction_id[:240]
    n = 1 + sum(1 for c in pos.children if c.type == operation.child_type.value)
    for i in range(n, n + 50):
        candidate = f"{base}-{operation.child_type.value}{i}"
        if not _duplicate_txid(s, parent.merchant, candidate):
            return candidate
    return f"{base}-{operation.child_type.value}-{uuidlib.uuid4().hex[:8]}"


def _insert(s: Session, row: Base) -> None:
    """INSERT one new row with a Core statement (no unit-of-work bookkeeping)."""
    table = cast(Table, row.__table__)
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    s.execute(insert(table), values)


def _child(
    parent: TransactionRow,
    operation: Operation,
    amount: Money,
    txid: str,
    fields: OperationFields,
    username: str,
    now: datetime,
    reason: OperationReason | None = None,
) -> TransactionRow:
    return TransactionRow(
        uuid=uuidlib.uuid4().hex,
        transaction_id=txid,
        type=operation.child_type.value,
        parent_uuid=parent.uuid,
        amount_minor=amount.minor,
        currency=parent.currency,
        result_code=rc.SUCCESS,
        result_description=rc.describe(rc.SUCCESS),
        status=rc.status_of(rc.SUCCESS).value,
        merchant=parent.merchant,
        channel=parent.channel,
        payment_method=parent.payment_method,
        brand=parent.brand,
        bin=parent.bin,
        last4=parent.last4,
        holder=parent.holder,
        holder_lc=parent.holder_lc,
        customer_name=parent.customer_name,
        customer_email=parent.customer_email,
        customer_country=parent.customer_country,
        usage=fields.usage,
        memo=fields.memo,
        created_at=now,
        source=Source.BACK_OFFICE.value,
        created_by=username,
        reason_code=reason.code if reason else None,
        reason_note=reason.note if reason else None,
    )


def _record(
    s: Session,
    now: datetime,
    user: UserRow,
    operation: Operation,
    before: Position,
    child: TransactionRow | None,
    fields: OperationFields,
    key: str | None,
    refused: OperationRefused | None,
    *,
    message: str | None = None,
    outcome: Outcome | None = None,
    result_code: str | None = None,
    amount: Money | None = None,
    attempted: Money | None = None,
    reason: OperationReason | None = None,
) -> OperationResult:
    parent = before.row
    text = message or (refused.message if refused else _booked(operation, child))
    if reason is not None:
        text = f"{text} (reason: {reason.code})"  # the message is hashed: the reason is covered
    # The parent is locked: its children are the ones read before plus the one just written.
    after = before.with_child(child).balances if child is not None else before.balances
    record = AuditRecord(
        created_at=now,
        username=user.username,
        role=user.role,
        operation=operation.value,
        parent_uuid=parent.uuid,
        child_uuid=child.uuid if child else None,
        merchant=parent.merchant,
        currency=parent.currency,
        amount_minor=child.amount_minor if child else (amount.minor if amount else None),
        available_before_minor=before.balances.available.minor,
        available_after_minor=after.available.minor,
        transaction_id=child.transaction_id if child else fields.transaction_id,
        usage=fields.usage,
        memo=fields.memo,
        outcome=(outcome or _outcome(refused, child)).value,
        result_code=result_code
        or (refused.result_code if refused else (child.result_code if child else rc.SUCCESS)),
        message=text[:500],
        idempotency_key=key,
        attempted_minor=child.amount_minor if child else _minor(attempted or amount),
        reason_code=reason.code if reason else None,
        reason_note=reason.note if reason else None,
    )
    audit.append(s, record)
    return _result_from(record, replayed=False)


def _minor(amount: Money | None) -> int | None:
    return None if amount is None else amount.minor


def _attempted(operation: Operation, pos: Position, request: OperationRequest) -> Money | None:
    """The amount a refused attempt asked for, when it can be read in the parent's currency."""
    if not operation.takes_amount:
        return pos.balances.available
    try:
        return parse_amount(request.amount, pos.row.currency)
    except BoError:
        return None


def _outcome(refused: OperationRefused | None, child: TransactionRow | None) -> Outcome:
    if refused is not None:
        return Outcome.REFUSED
    return Outcome.PENDING if child is not None and child.status == Status.PENDING else Outcome.SUCCESS


def _booked(operation: Operation, child: TransactionRow | None) -> str:
    if child is not None and child.status == Status.PENDING:
        return f"{operation.label} sent to the gateway"
    return f"{operation.label} booked"


def _result_from(record: AuditRecord, *, replayed: bool) -> OperationResult:
    cur = record.currency

    def money(minor: int | None) -> Money | None:
        return None if minor is None or cur is None else Money(minor, cur)

    success = record.outcome == Outcome.SUCCESS
    pending = record.outcome == Outcome.PENDING
    return OperationResult(
        outcome=record.outcome,
        operation=record.operation,
        parent_uuid=record.parent_uuid,
        uuid=record.child_uuid,
        transaction_id=record.transaction_id,
        result_code=record.result_code,
        status=rc.status_of(record.result_code).value
        if success or pending or record.outcome == Outcome.AWAITING_APPROVAL
        else "rejected",
        message=record.message,
        amount=money(record.amount_minor),
        currency=cur,
        available_before=money(record.available_before_minor),
        available_after=money(record.available_after_minor),
        replayed=replayed,
    )


def suggest_transaction_id_for(ctx: Context, parent_uuid: str, operation: str, *, actor: Actor) -> str:
    """The Transaction ID a new ``operation`` on ``parent_uuid`` would get by default."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    op = Operation(operation)
    with ctx.db.uow() as uow:
        parent = get_transaction(uow.session, parse_uuid(parent_uuid), scope=scope)
        return suggest_transaction_id(uow.session, position(uow.session, parent, now=ctx.now()), op)
