"""Reading rows back in tests, in one place: counts, children, audit records.

Rows are read through the real persistence layer and detached from their
session, so their loaded values stay readable after the read unit of work ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.services.context import Context


@dataclass(frozen=True)
class Counts:
    transactions: int
    audit: int


def counts(ctx: Context) -> Counts:
    """Transactions and audit records in the database."""
    with ctx.db.uow() as uow:
        s = uow.session
        tx = s.execute(select(func.count()).select_from(TransactionRow)).scalar_one()
        au = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        return Counts(int(tx), int(au))


def row_counts(ctx: Context) -> tuple[int, int]:
    """(transactions, audit records) in the database."""
    found = counts(ctx)
    return found.transactions, found.audit


def transaction_count(ctx: Context) -> int:
    return counts(ctx).transactions


def audit_count(ctx: Context) -> int:
    return counts(ctx).audit


def _detached(session: Any, rows: list[Any]) -> list[Any]:
    session.expunge_all()
    return rows


def children(ctx: Context, parent: str) -> list[TransactionRow]:
    """The children of ``parent`` in insertion order."""
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow).where(TransactionRow.parent_uuid == parent).order_by(TransactionRow.id)
        return _detached(uow.session, list(uow.session.execute(stmt).scalars()))


def transactions(ctx: Context) -> list[TransactionRow]:
    """Every transaction in insertion order."""
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow).order_by(TransactionRow.id)
        return _detached(uow.session, list(uow.session.execute(stmt).scalars()))


def audit_rows(ctx: Context, parent: str | None = None) -> list[AuditRecord]:
    """Audit records in chain order, optionally only those of ``parent``."""
    with ctx.db.uow() as uow:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        if parent is not None:
            stmt = stmt.where(AuditRecord.parent_uuid == parent)
        return _detached(uow.session, list(uow.session.execute(stmt).scalars()))
