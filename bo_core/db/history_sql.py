"""SQL of the operation history: the audit trail filtered, ordered and aggregated."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    FromClause,
    Select,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
)

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.db.scope_sql import audit_in, where
from bo_core.domain.filters import HistoryFilters
from bo_core.domain.money import exponent
from bo_core.domain.scope import Scope
from bo_core.domain.types import Operation, Outcome

A = AuditRecord.__table__.c
_PARENT = TransactionRow.__table__.alias("parent")
P = _PARENT.c
# The amount an attempt asked for; records written before ``attempted_minor`` existed
# carry only the booked amount.
ATTEMPTED = func.coalesce(A.attempted_minor, A.amount_minor)
# Derived columns a history row may select besides the audit table's own.
DERIVED: dict[str, ColumnElement[Any]] = {
    "attempted_minor": ATTEMPTED.label("attempted_minor"),
    "parent_type": P.type.label("parent_type"),
    "parent_transaction_id": P.transaction_id.label("parent_transaction_id"),
}


def _source() -> FromClause:
    audit: Table = AuditRecord.__table__  # type: ignore[assignment]
    return audit.outerjoin(_PARENT, P.uuid == A.parent_uuid)


def _column(name: str) -> ColumnElement[Any]:
    return DERIVED[name] if name in DERIVED else A[name]


def attempted_between(f: HistoryFilters, currencies: Sequence[str]) -> ColumnElement[bool] | None:
    """The attempted amount within ``f``'s bounds (major units, read in each record's currency)."""
    if f.min_attempted is None and f.max_attempted is None:
        return None
    per_currency = []
    for currency in [f.currency] if f.currency else currencies:
        scale = Decimal(10) ** exponent(currency)
        parts = [A.currency == currency]
        if f.min_attempted is not None:
            parts.append(int((Decimal(f.min_attempted) * scale).to_integral(ROUND_CEILING)) <= ATTEMPTED)
        if f.max_attempted is not None:
            parts.append(int((Decimal(f.max_attempted) * scale).to_integral(ROUND_FLOOR)) >= ATTEMPTED)
        per_currency.append(and_(*parts))
    return or_(*per_currency) if per_currency else false()


def conditions(
    f: HistoryFilters, scope: Scope | None = None, currencies: Sequence[str] = ()
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = where(audit_in(scope))
    amount = attempted_between(f, currencies)
    if amount is not None:
        out.append(amount)
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


def newest_first(
    f: HistoryFilters, columns: Sequence[str], scope: Scope | None = None, currencies: Sequence[str] = ()
) -> Select[Any]:
    """The ``columns`` of the attempts matching ``f`` within ``scope``, newest first.

    ``columns`` name audit columns or ``DERIVED`` ones (the parent's type and ID).
    """
    return (
        select(*(_column(c) for c in columns))
        .select_from(_source())
        .where(*conditions(f, scope, currencies))
        .order_by(A.created_at.desc(), A.seq.desc())
    )


def of_transaction(uuid: str, columns: Sequence[str]) -> Select[Any]:
    """Attempts on ``uuid`` (as parent) and the one that created it, newest first."""
    return (
        select(*(_column(c) for c in columns))
        .select_from(_source())
        .where(or_(A.parent_uuid == uuid, A.child_uuid == uuid))
        .order_by(A.created_at.desc(), A.seq.desc())
    )


def _day(conn: Connection) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return func.date(A.created_at)
    return cast(A.created_at, Date)


def stats(
    conn: Connection, f: HistoryFilters, scope: Scope | None = None, currencies: Sequence[str] = ()
) -> tuple[Any, list[Any], list[Any], list[Any]]:
    """``(attempts, successes)``, per-day counts by operation, refund and chargeback sums per
    currency, and counts per user and outcome: four aggregate queries."""
    terms = conditions(f, scope, currencies)
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


def refusal_stats(
    conn: Connection, f: HistoryFilters, scope: Scope | None = None, currencies: Sequence[str] = ()
) -> tuple[list[Any], list[Any], list[Any]]:
    """Refused attempts by result code, by role, and their attempted sums per currency."""
    terms = [*conditions(f, scope, currencies), A.outcome == Outcome.REFUSED.value]
    by_reason = conn.execute(
        select(A.result_code, func.count())
        .where(*terms)
        .group_by(A.result_code)
        .order_by(func.count().desc())
    ).all()
    role = func.coalesce(A.role, "")
    by_role = conn.execute(
        select(role, func.count()).where(*terms).group_by(role).order_by(func.count().desc())
    ).all()
    attempted = conn.execute(
        select(A.currency, func.count(), func.sum(ATTEMPTED))
        .where(*terms, A.currency.is_not(None))
        .group_by(A.currency)
        .order_by(A.currency)
    ).all()
    return list(by_reason), list(by_role), list(attempted)
