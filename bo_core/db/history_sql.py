"""SQL of the operation history: the audit trail filtered, ordered and aggregated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Date, Select, case, cast, func, or_, select

from bo_core.db.models import AuditRecord
from bo_core.db.scope_sql import audit_in, where
from bo_core.domain.filters import HistoryFilters
from bo_core.domain.scope import Scope
from bo_core.domain.types import Operation, Outcome

A = AuditRecord.__table__.c


def conditions(f: HistoryFilters, scope: Scope | None = None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = where(audit_in(scope))
    if f.date_from is not None:
        out.append(A.created_at >= f.date_from)
    if f.date_to is not None:
        out.append(A.created_at < f.date_to)
    for column, value in (
        (A.username, f.username),
        (A.operation, f.operation),
        (A.outcome, f.outcome),
        (A.merchant, f.merchant),
        (A.currency, f.currency),
        (A.reason_code, f.reason),
    ):
        if value is not None:
            out.append(column == value)
    return out


def newest_first(f: HistoryFilters, columns: Sequence[str], scope: Scope | None = None) -> Select[Any]:
    """The ``columns`` of the attempts matching ``f`` within ``scope``, newest first."""
    return (
        select(*(A[c] for c in columns))
        .where(*conditions(f, scope))
        .order_by(A.created_at.desc(), A.seq.desc())
    )


def of_transaction(uuid: str, columns: Sequence[str]) -> Select[Any]:
    """Attempts on ``uuid`` (as parent) and the one that created it, newest first."""
    return (
        select(*(A[c] for c in columns))
        .where(or_(A.parent_uuid == uuid, A.child_uuid == uuid))
        .order_by(A.created_at.desc(), A.seq.desc())
    )


def _day(conn: Connection) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return func.date(A.created_at)
    return cast(A.created_at, Date)


def stats(
    conn: Connection, f: HistoryFilters, scope: Scope | None = None
) -> tuple[Any, list[Any], list[Any], list[Any]]:
    """``(attempts, successes)``, per-day counts by operation, refund and chargeback sums per
    currency, and counts per user and outcome: four aggregate queries."""
    terms = conditions(f, scope)
    success = A.outcome == Outcome.SUCCESS.value
    totals = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((success, 1), else_=0)), 0)).where(*terms)
    ).one()
    day = _day(conn).label("day")
    per_day = conn.execute(
        select(day, A.operation, func.count())
        .where(*terms)
        .group_by(day, A.operation)
        .order_by(day, A.operation)
    ).all()
    sums = conn.execute(
        select(A.currency, A.operation, func.sum(A.amount_minor))
        .where(
            *terms,
            success,
            A.operation.in_([Operation.REFUND.value, Operation.CHARGEBACK.value]),
            A.currency.is_not(None),
        )
        .group_by(A.currency, A.operation)
    ).all()
    per_user = conn.execute(
        select(A.username, A.outcome, func.count())
        .where(*terms)
        .group_by(A.username, A.outcome)
        .order_by(A.username, A.outcome)
    ).all()
    return totals, list(per_day), list(sums), list(per_user)
