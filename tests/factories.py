"""Builders for test data, written through the real persistence layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.services import scopes, users
from bo_core.services.context import Context
from tests.rows import row_counts

__all__ = ["PASSWORD", "Clock", "add_tx", "add_user", "row_counts"]

PASSWORD = "correct horse battery staple"


@dataclass
class Clock:
    """A settable clock for services (``ctx.clock``)."""

    current: datetime

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current = self.current + timedelta(**delta)


def add_user(ctx: Context, role: str, username: str | None = None, *, scoped: bool = False) -> str:
    """A user assigned to the root of the account tree (sees everything), or to
    nothing with ``scoped=True`` (the test assigns what it needs)."""
    name = username or f"{role}-{uuid.uuid4().hex[:6]}"
    users.create_user(ctx, name, role, PASSWORD, name=name.title(), actor=SYSTEM)
    if not scoped:
        scopes.assign(ctx, name, "*", actor=SYSTEM)
    return name


def add_tx(
    ctx: Context,
    type: str = "DB",
    amount_minor: int = 10_000,
    currency: str = "EUR",
    result_code: str = rc.SUCCESS,
    parent: str | None = None,
    created_at: datetime | None = None,
    merchant: str = "acme-shop",
    **fields: Any,
) -> str:
    """Insert one gateway transaction; return its UUID."""
    row = TransactionRow(
        uuid=uuid.uuid4().hex,
        transaction_id=fields.pop("transaction_id", f"ORD-{uuid.uuid4().hex[:10]}"),
        type=type,
        parent_uuid=parent,
        amount_minor=amount_minor,
        currency=currency,
        result_code=result_code,
        result_description=rc.describe(result_code),
        status=rc.status_of(result_code).value,
        merchant=merchant,
        channel=fields.pop("channel", "web"),
        payment_method=fields.pop("payment_method", "CC"),
        brand=fields.pop("brand", "VISA"),
        created_at=created_at or ctx.now() - timedelta(hours=1),
        source=fields.pop("source", "gateway"),
        **fields,
    )
    with ctx.db.uow(write=True) as uow:
        uow.session.add(row)
        uow.commit()
    return row.uuid


def reason_for(operation: object) -> str | None:
    """A valid reason for ``operation``: refunds and chargebacks need one (``domain.reasons``)."""
    return "requested_by_customer" if operation in ("refund", "chargeback") else None
