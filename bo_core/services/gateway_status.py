"""Status changes of back-office children in gateway mode: one audited function.

A child written PENDING when its request went out is finalized here from the
gateway's answer, whoever learnt it: the user's own request, the reconciler,
a webhook or an import. The change is an UPDATE of that one row *and* an audit
record naming who made it; a second caller finds the child no longer pending
and changes nothing (so reconcile, webhooks and imports can race harmlessly).
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.types import Operation, Outcome, Source, Status, TxType
from bo_core.services import audit
from bo_core.services.context import Context
from bo_core.services.ledger import get_transaction, position

UNKNOWN = "outcome unknown at the gateway"
AWAITING = f"{UNKNOWN}: sent, no answer recorded yet"
ATTEMPT_CODE = "000.200.000"
ATTEMPT_DESCRIPTION = "Sent to the gateway; awaiting its answer"
OPERATION_OF = {op.child_type: op for op in Operation}


def find_pending_attempt(
    s: Session, parent_uuid: str, merchant_tx_id: str, tx_type: str
) -> TransactionRow | None:
    """The pending back-office child a gateway record answers (same parent, reference and type)."""
    stmt = select(TransactionRow).where(
        TransactionRow.parent_uuid == parent_uuid,
        TransactionRow.transaction_id == merchant_tx_id,
        TransactionRow.type == tx_type,
        TransactionRow.source == Source.BACK_OFFICE.value,
        TransactionRow.status == Status.PENDING.value,
    )
    return s.execute(stmt.with_for_update()).scalars().first()


def lock_attempt(s: Session, attempt_uuid: str) -> TransactionRow:
    """The child of an attempt, locked: by its first UUID, even after a webhook gave it the gateway's."""
    stmt = select(TransactionRow).where(
        or_(TransactionRow.uuid == attempt_uuid, TransactionRow.attempt_uuid == attempt_uuid)
    )
    return s.execute(stmt.with_for_update()).scalar_one()


def finalize(
    s: Session,
    ctx: Context,
    child: TransactionRow,
    *,
    code: str,
    description: str,
    gateway_id: str | None,
    actor: str,
    role: str | None = None,
) -> bool:
    """Apply the gateway's answer to a pending child; False when nothing changed.

    The child must have been read with a lock (``lock_child``/``find_pending_attempt``).
    """
    if child.status != Status.PENDING.value or not rc.is_valid_code(code):
        return False
    new_status = rc.status_of(code)
    new_uuid = gateway_id or child.uuid
    if new_uuid == child.uuid and new_status is Status.PENDING and code == child.result_code:
        return False
    if (
        new_uuid != child.uuid
        and s.execute(select(TransactionRow.id).where(TransactionRow.uuid == new_uuid)).first()
    ):
        new_uuid = child.uuid  # that id is already stored: keep ours rather than clash
    old_uuid = child.uuid
    parent = get_transaction(s, child.parent_uuid or "")
    before = position(s, parent).balances.available
    reason = None
    if new_status is Status.PENDING:
        reason = f"the gateway reports it pending: {code} {description}"[:255]
    changed = s.execute(  # type: ignore[attr-defined]
        update(TransactionRow)
        .where(TransactionRow.id == child.id, TransactionRow.status == Status.PENDING.value)
        .values(
            uuid=new_uuid,
            attempt_uuid=child.attempt_uuid or (old_uuid if new_uuid != old_uuid else None),
            result_code=code,
            result_description=(description or rc.describe(code))[:255],
            status=new_status.value,
            pending_reason=reason,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    s.expire(child)
    after = position(s, parent).balances.available
    operation = OPERATION_OF[TxType(child.type)]
    outcome = {
        Status.SUCCESS: Outcome.SUCCESS,
        Status.REJECTED: Outcome.REJECTED,
        Status.PENDING: Outcome.PENDING,
    }[new_status]
    moved = f"pending → {new_status.value}"
    audit.append(
        s,
        AuditRecord(
            created_at=ctx.now(),
            username=actor,
            role=role,
            operation=operation.value,
            parent_uuid=parent.uuid,
            child_uuid=new_uuid,
            merchant=parent.merchant,
            currency=parent.currency,
            amount_minor=child.amount_minor,
            available_before_minor=before.minor,
            available_after_minor=after.minor,
            transaction_id=child.transaction_id,
            usage=child.usage,
            memo=None,
            outcome=outcome.value,
            result_code=code,
            message=(
                f"{operation.label} {moved} at the gateway: {code} {description}"
                f" (attempt {old_uuid}; by {actor})"
            )[:500],
            idempotency_key=None,
        ),
    )
    if new_uuid != old_uuid:
        from bo_core.services.gateway_ingest import drain  # (ingest builds on this module)

        drain(s, ctx, new_uuid)  # notifications that referenced the gateway's id before bo knew it
    return True


def set_pending_reason(s: Session, child: TransactionRow, reason: str) -> None:
    """Record why a pending child's outcome is unknown (no status change)."""
    s.execute(
        update(TransactionRow)
        .where(TransactionRow.id == child.id, TransactionRow.status == Status.PENDING.value)
        .values(pending_reason=reason[:255])
        .execution_options(synchronize_session=False)
    )
