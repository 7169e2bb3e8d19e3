"""Operation history: the audit trail, filtered, aggregated and exported in SQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict, astuple, dataclass, fields
from datetime import date, datetime
from typing import Any, TextIO

from sqlalchemy import ColumnElement, Connection, Date, case, cast, func, or_, select

from bo_core.db.models import AuditRecord
from bo_core.domain.errors import InputError
from bo_core.domain.money import minor_to_str
from bo_core.domain.permissions import Permission
from bo_core.domain.types import Operation, Outcome
from bo_core.services.access import require
from bo_core.services.context import Context
from bo_core.services.ledger import parse_uuid
from bo_core.services.search import csv_cell, parse_currency, parse_label, parse_period

A = AuditRecord.__table__.c
MAX_LIMIT = 1000
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class HistoryFilters:
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    username: str | None = None
    operation: str | None = None
    outcome: str | None = None  # "success" | "refused"
    merchant: str | None = None
    currency: str | None = None


def _choice(field: str, value: object, allowed: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = str(value).strip().lower()
    if code not in allowed:
        raise InputError(field, f"{str(value)[:30]!r} is unknown; use one of {', '.join(allowed)}")
    return code


def parse_history_filters(
    *,
    date_from: object = None,
    date_to: object = None,
    username: object = None,
    operation: object = None,
    outcome: object = None,
    merchant: object = None,
    currency: object = None,
) -> HistoryFilters:
    """Validate raw input; raise ``InputError`` naming the first bad field."""
    start, end = parse_period(date_from, date_to)
    return HistoryFilters(
        date_from=start,
        date_to=end,
        username=parse_label("User", username, 64),
        operation=_choice("Operation", operation, [o.value for o in Operation]),
        outcome=_choice("Outcome", outcome, [o.value for o in Outcome]),
        merchant=parse_label("Merchant", merchant, 64),
        currency=parse_currency(currency),
    )


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    created_at: datetime
    username: str
    role: str | None
    operation: str
    parent_uuid: str
    child_uuid: str | None
    merchant: str | None
    currency: str | None
    amount: str | None
    available_before: str | None
    available_after: str | None
    transaction_id: str | None
    usage: str | None
    memo: str | None
    outcome: str
    result_code: str
    message: str
    idempotency_key: str | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out


@dataclass(frozen=True)
class HistoryStats:
    attempts: int
    successes: int
    refusals: int
    per_day_by_operation: list[tuple[date, str, int]]
    amounts_by_currency: list[tuple[str, str, str]]  # currency, refunded, charged back
    per_user_outcome: list[tuple[str, str, int]]


CSV_HEADER = [f.name for f in fields(HistoryEntry)]
_COLUMNS = [getattr(A, name) for name in ("seq", "created_at", "username", "role", "operation")] + [
    A.parent_uuid,
    A.child_uuid,
    A.merchant,
    A.currency,
    A.amount_minor,
    A.available_before_minor,
    A.available_after_minor,
    A.transaction_id,
    A.usage,
    A.memo,
    A.outcome,
    A.result_code,
    A.message,
    A.idempotency_key,
]


def _money(minor: int | None, currency: str | None) -> str | None:
    return None if minor is None or currency is None else minor_to_str(minor, currency)


def _entry(r: Any) -> HistoryEntry:
    return HistoryEntry(
        seq=r.seq,
        created_at=r.created_at,
        username=r.username,
        role=r.role,
        operation=r.operation,
        parent_uuid=r.parent_uuid,
        child_uuid=r.child_uuid,
        merchant=r.merchant,
        currency=r.currency,
        amount=_money(r.amount_minor, r.currency),
        available_before=_money(r.available_before_minor, r.currency),
        available_after=_money(r.available_after_minor, r.currency),
        transaction_id=r.transaction_id,
        usage=r.usage,
        memo=r.memo,
        outcome=r.outcome,
        result_code=r.result_code,
        message=r.message,
        idempotency_key=r.idempotency_key,
    )


def _conditions(f: HistoryFilters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
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
    ):
        if value is not None:
            out.append(column == value)
    return out


def _newest_first(f: HistoryFilters) -> Any:
    return select(*_COLUMNS).where(*_conditions(f)).order_by(A.created_at.desc(), A.seq.desc())


def list_history(
    ctx: Context, filters: HistoryFilters, *, actor: str | None, limit: int = 200, offset: int = 0
) -> list[HistoryEntry]:
    """Attempts matching ``filters``, newest first."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError("Limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InputError("Offset", "must be a whole number from 0")
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(_newest_first(filters).limit(limit).offset(offset)).all()
    return [_entry(r) for r in rows]


def transaction_history(ctx: Context, uuid: str, *, actor: str | None) -> list[HistoryEntry]:
    """Attempts on this transaction (as parent) and the one that created it, newest first."""
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    key = parse_uuid(uuid)
    stmt = (
        select(*_COLUMNS)
        .where(or_(A.parent_uuid == key, A.child_uuid == key))
        .order_by(A.created_at.desc(), A.seq.desc())
    )
    with ctx.db.engine.connect() as conn:
        return [_entry(r) for r in conn.execute(stmt).all()]


def _day(conn: Connection) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return func.date(A.created_at)
    return cast(A.created_at, Date)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def history_stats(ctx: Context, filters: HistoryFilters, *, actor: str | None) -> HistoryStats:
    """Totals and breakdowns of the matching attempts, aggregated by the database."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    where = _conditions(filters)
    success = A.outcome == Outcome.SUCCESS.value
    with ctx.db.engine.connect() as conn:
        attempts, successes = conn.execute(
            select(func.count(), func.coalesce(func.sum(case((success, 1), else_=0)), 0)).where(*where)
        ).one()
        day = _day(conn).label("day")
        per_day = conn.execute(
            select(day, A.operation, func.count())
            .where(*where)
            .group_by(day, A.operation)
            .order_by(day, A.operation)
        ).all()
        sums = conn.execute(
            select(A.currency, A.operation, func.sum(A.amount_minor))
            .where(
                *where,
                success,
                A.operation.in_([Operation.REFUND.value, Operation.CHARGEBACK.value]),
                A.currency.is_not(None),
            )
            .group_by(A.currency, A.operation)
        ).all()
        per_user = conn.execute(
            select(A.username, A.outcome, func.count())
            .where(*where)
            .group_by(A.username, A.outcome)
            .order_by(A.username, A.outcome)
        ).all()
    totals: dict[str, dict[str, int]] = {}
    for currency, operation, minor in sums:
        totals.setdefault(currency, {})[operation] = int(minor or 0)
    amounts = [
        (
            cur,
            minor_to_str(by_op.get(Operation.REFUND.value, 0), cur),
            minor_to_str(by_op.get(Operation.CHARGEBACK.value, 0), cur),
        )
        for cur, by_op in sorted(totals.items())
    ]
    return HistoryStats(
        attempts=int(attempts),
        successes=int(successes),
        refusals=int(attempts) - int(successes),
        per_day_by_operation=[(_as_date(d), op, int(n)) for d, op, n in per_day],
        amounts_by_currency=amounts,
        per_user_outcome=[(u, o, int(n)) for u, o, n in per_user],
    )


def _batches(ctx: Context, filters: HistoryFilters) -> Iterator[list[HistoryEntry]]:
    base = _newest_first(filters).limit(EXPORT_BATCH)
    last: tuple[datetime, int] | None = None
    with ctx.db.engine.connect() as conn:
        while True:
            stmt = base
            if last is not None:
                stmt = base.where(or_(A.created_at < last[0], (A.created_at == last[0]) & (A.seq < last[1])))
            rows = conn.execute(stmt).all()
            if not rows:
                return
            yield [_entry(r) for r in rows]
            if len(rows) < EXPORT_BATCH:
                return
            last = (rows[-1].created_at, rows[-1].seq)


def export_history_csv(ctx: Context, filters: HistoryFilters, out: TextIO, *, actor: str | None) -> int:
    """Write the matching attempts as CSV (header first), newest first; return the row count."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    written = 0
    for entries in _batches(ctx, filters):
        writer.writerows([csv_cell(v) for v in astuple(e)] for e in entries)
        written += len(entries)
    return written
