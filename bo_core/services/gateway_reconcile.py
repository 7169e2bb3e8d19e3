"""Resolve back-office children whose outcome is unknown, by asking the gateway.

Each PENDING back-office child older than the grace period is looked up by its
``merchantTransactionId`` (and by its gateway id when bo has one). The
gateway's record finalizes it; a child the gateway has never seen (404,
``700.400.580``) is rejected with that code, which releases its reservation.
The query runs outside any database lock; the change re-checks that the child
is still pending, so a second reconciler or a webhook racing it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import Actor, is_system, role_refusal
from bo_core.domain.errors import InputError
from bo_core.domain.permissions import permission_for
from bo_core.domain.types import Source, Status, TxType
from bo_core.gateway.client import GatewayClient, GatewayUnavailable
from bo_core.services import gateway_status as gs
from bo_core.services.access import require_system, role_of
from bo_core.services.context import Context
from bo_core.services.ledger import get_transaction, parse_uuid
from bo_core.services.origin import through

RECONCILER = "reconciler"
NOT_FOUND_TEXT = "Cannot find transaction: the gateway never received this request (reconciliation)"


@dataclass
class ReconcileReport:
    checked: int = 0
    resolved: list[dict[str, str]] = field(default_factory=list)
    still_pending: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "resolved": len(self.resolved),
            "still_pending": self.still_pending,
            "errors": self.errors,
            "changes": self.resolved,
        }


@dataclass(frozen=True)
class _Pending:
    uuid: str
    gateway_id: str | None
    parent_uuid: str
    type: str
    transaction_id: str
    entity: str


@through("reconciler")
def reconcile(ctx: Context, older_than: float = 600, *, actor: Actor) -> ReconcileReport:
    """Query and finalize every pending back-office child older than ``older_than`` seconds.

    A command-line (cron) task: only ``SYSTEM`` runs it; its changes are audited as ``reconciler``.
    """
    require_system(actor, "reconcile every pending operation")
    return _reconcile(ctx, older_than, RECONCILER, None)


def _reconcile(ctx: Context, older_than: float, by: str, only: str | None) -> ReconcileReport:
    if not ctx.settings.gateway.is_opp:
        raise InputError("BO_GATEWAY", "reconciling needs BO_GATEWAY=opp")
    if older_than < 0:
        raise InputError("--older-than", "must not be negative")
    gw = ctx.settings.gateway
    cutoff = ctx.now() - timedelta(seconds=older_than)
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow).where(
            TransactionRow.status == Status.PENDING.value,
            TransactionRow.source == Source.BACK_OFFICE.value,
            TransactionRow.created_at <= cutoff,
        )
        if only is not None:
            stmt = stmt.where(TransactionRow.uuid == only)
        todo = [
            _Pending(
                r.uuid,
                r.uuid if r.attempt_uuid else None,
                r.parent_uuid or "",
                r.type,
                r.transaction_id,
                gw.entity_for(r.merchant, r.channel),
            )
            for r in uow.session.execute(stmt.order_by(TransactionRow.created_at)).scalars()
        ]
    report = ReconcileReport()
    with GatewayClient(gw) as client:
        for item in todo:
            report.checked += 1
            try:
                record = _lookup(client, item)
            except GatewayUnavailable as exc:
                report.errors.append(f"{item.uuid}: {exc.message}")
                report.still_pending += 1
                continue
            _apply(ctx, item, record, by, report)
    return report


def _lookup(client: GatewayClient, item: _Pending) -> dict[str, Any] | None:
    """The gateway's record of this attempt, or None if it has none."""
    if item.gateway_id:
        found = client.by_id(item.entity, item.gateway_id)
        if found is not None:
            return found
    candidates = [
        p
        for p in client.by_merchant_transaction_id(item.entity, item.transaction_id)
        if _same_attempt(p, item)
    ]
    if not candidates:
        return None
    # A duplicate's refusal shares the reference: the booked one (success or pending) wins.
    booked = [
        p for p in candidates if rc.is_valid_code(_code(p)) and rc.status_of(_code(p)) != Status.REJECTED
    ]
    return (booked or candidates)[-1]


def _same_attempt(record: dict[str, Any], item: _Pending) -> bool:
    """A record with this reference answers this attempt unless it names another parent or type."""
    ref = str(record.get("referencedId") or "").lower()
    kind = str(record.get("paymentType") or "")
    return ref in ("", item.parent_uuid) and kind in ("", item.type)


def _code(record: dict[str, Any]) -> str:
    result = record.get("result")
    return str(result.get("code", "")) if isinstance(result, dict) else ""


def _apply(
    ctx: Context, item: _Pending, record: dict[str, Any] | None, actor: str, report: ReconcileReport
) -> None:
    if record is None:
        code, description, gid = rc.GATEWAY_NOT_FOUND, NOT_FOUND_TEXT, None
    else:
        code = _code(record)
        result = record.get("result")
        description = str(result.get("description", "")) if isinstance(result, dict) else ""
        gid = str(record.get("id", "")).lower() or None
        if not rc.is_valid_code(code):
            report.errors.append(f"{item.uuid}: the gateway's record has no result code")
            report.still_pending += 1
            return
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        child = s.execute(
            select(TransactionRow).where(TransactionRow.uuid == item.uuid).with_for_update()
        ).scalar_one_or_none()
        if child is None or child.status != Status.PENDING.value:
            return  # someone (a webhook, another reconciler) resolved it meanwhile
        changed = gs.finalize(s, ctx, child, code=code, description=description, gateway_id=gid, actor=actor)
        uow.commit()
    if changed and rc.status_of(code) is not Status.PENDING:
        report.resolved.append(
            {
                "attempt_uuid": item.uuid,
                "uuid": gid or item.uuid,
                "status": rc.status_of(code).value,
                "result_code": code,
            }
        )
    else:
        report.still_pending += 1


@through("reconciler")
def check_status(ctx: Context, uuid: str, *, actor: Actor) -> ReconcileReport:
    """ "Check status now" for one pending child (permission: the operation's own).

    The change is audited under the user's name (``reconciler`` for ``SYSTEM``).
    """
    role = role_of(ctx, actor)
    uuid = parse_uuid(uuid)
    with ctx.db.uow() as uow:
        child = get_transaction(uow.session, uuid)
        op = gs.OPERATION_OF.get(TxType(child.type))
        if op is None:
            raise InputError("UUID", "only a back-office operation can be checked at the gateway")
        if role is not None:
            refused = role_refusal(role, permission_for(op), f"check a {op.label.lower()}")
            if refused is not None:
                raise refused
        if child.source != Source.BACK_OFFICE.value or child.status != Status.PENDING.value:
            raise InputError("UUID", "only a pending back-office operation can be checked at the gateway")
    return _reconcile(ctx, 0, RECONCILER if is_system(actor) else str(actor), uuid)
