"""Details of one transaction: fields, chain, balances, available operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import Actor
from bo_core.domain.availability import available_operations
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission
from bo_core.domain.types import Status, TxType
from bo_core.services.access import require_scoped
from bo_core.services.context import Context
from bo_core.services.export import plain
from bo_core.services.gateway_send import GENERATED_BY_PAYMENT_SYSTEM
from bo_core.services.ledger import get_transaction, position


@dataclass(frozen=True)
class TxView:
    """A transaction as shown to people and printed as JSON."""

    uuid: str
    transaction_id: str
    type: str
    type_label: str
    status: str
    result_code: str
    result_description: str
    amount: Money
    amount_minor: int
    currency: str
    cash_flow: str
    parent_uuid: str | None
    merchant: str
    channel: str
    payment_method: str
    brand: str
    bin: str | None
    last4: str | None
    holder: str | None
    customer_name: str | None
    customer_email: str | None
    customer_country: str | None
    usage: str | None
    memo: str | None
    created_at: datetime
    source: str
    created_by: str | None
    pending_reason: str | None = None
    reason_code: str | None = None
    """Refunds and chargebacks: why (``domain.reasons``), and the note that goes with it."""
    reason_note: str | None = None

    @classmethod
    def of(cls, row: TransactionRow) -> TxView:
        tx_type = TxType(row.type)
        flow = {1: "in", -1: "out", 0: "none"}[tx_type.cash_flow]
        return cls(
            uuid=row.uuid,
            transaction_id=row.transaction_id,
            type=row.type,
            type_label=tx_type.label,
            status=row.status,
            result_code=row.result_code,
            result_description=row.result_description or rc.describe(row.result_code),
            amount=Money(row.amount_minor, row.currency),
            amount_minor=row.amount_minor,
            currency=row.currency,
            cash_flow=flow,
            parent_uuid=row.parent_uuid,
            merchant=row.merchant,
            channel=row.channel,
            payment_method=row.payment_method,
            brand=row.brand,
            bin=row.bin,
            last4=row.last4,
            holder=row.holder,
            customer_name=row.customer_name,
            customer_email=row.customer_email,
            customer_country=row.customer_country,
            usage=row.usage,
            memo=row.memo,
            created_at=row.created_at,
            source=row.source,
            created_by=row.created_by,
            pending_reason=row.pending_reason,
            reason_code=row.reason_code,
            reason_note=row.reason_note,
        )


@dataclass(frozen=True)
class TransactionDetails:
    transaction: TxView
    parent: TxView | None
    children: list[TxView]
    balances: dict[str, Money]
    available_operations: list[str] | None = None
    """Operations the asking user may run now; ``None`` when nobody asked."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``bo show --json`` shape (amounts as decimal strings, times in ISO 8601)."""
        data: dict[str, Any] = plain(self.transaction)
        data["children"] = plain(self.children)
        data["parent"] = plain(self.parent)
        data["balances"] = plain(self.balances)
        if self.available_operations is not None:
            data["available_operations"] = self.available_operations
        return data


def show_transaction(ctx: Context, uuid: str, *, actor: Actor) -> TransactionDetails:
    """Details of ``uuid``; for a signed-in ``actor`` also the operations that user may run
    (``SYSTEM`` gets ``available_operations = None``: no role, no buttons).

    Raises ``InputError`` for a malformed UUID, ``NotFound`` for an unknown one,
    ``PermissionDenied`` if the actor may not view transactions.
    """
    role, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    with ctx.db.uow() as uow:
        s: Session = uow.session
        row = get_transaction(s, uuid, scope=scope)
        pos = position(s, row, now=ctx.now())
        parent = get_transaction(s, row.parent_uuid) if row.parent_uuid else None
        ops: list[str] | None = None
        if role is not None:
            ops = [
                op.value
                for op in available_operations(
                    TxType(row.type),
                    Status(row.status),
                    row.created_at,
                    pos.balances,
                    role,
                    ctx.now(),
                    ctx.settings.capture_window,
                )
                if not (ctx.settings.gateway.is_opp and op in GENERATED_BY_PAYMENT_SYSTEM)
            ]
        return TransactionDetails(
            transaction=TxView.of(row),
            parent=TxView.of(parent) if parent else None,
            children=[TxView.of(c) for c in pos.children],
            balances=pos.balances.amounts(),
            available_operations=ops,
        )
