"""Operation history: the audit trail, filtered, aggregated and exported in SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, TextIO

from sqlalchemy import Connection, func, select

from bo_core.db import history_sql
from bo_core.db.history_sql import A
from bo_core.db.models import UserRow
from bo_core.db.paging import keyset_batches
from bo_core.db.search_sql import distinct_values
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.domain.filters import HistoryFilters, parse_history_filters
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission
from bo_core.domain.types import Operation
from bo_core.services.access import require, require_scoped
from bo_core.services.context import Context
from bo_core.services.export import plain, write_csv
from bo_core.services.ledger import get_transaction, parse_uuid

__all__ = [
    "CSV_HEADER",
    "HistoryEntry",
    "HistoryFilters",
    "HistoryStats",
    "count_history",
    "export_history_csv",
    "filter_choices",
    "history_stats",
    "list_history",
    "parse_history_filters",
    "transaction_history",
]

MAX_LIMIT = 1000
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    created_at: datetime
    username: str
    role: str | None
    operation: str
    parent_uuid: str
    parent_type: str | None  # the transaction acted on: its type and Transaction ID
    parent_transaction_id: str | None
    child_uuid: str | None
    merchant: str | None
    currency: str | None
    amount: Money | None  # booked
    attempted: Money | None  # asked for, refused attempts included
    available_before: Money | None
    available_after: Money | None
    transaction_id: str | None
    usage: str | None
    memo: str | None
    outcome: str
    result_code: str
    message: str
    idempotency_key: str | None
    # Where the request came from (bo_core.services.origin); empty on records written before.
    channel: str | None = None
    session_ref: str | None = None
    os_user: str | None = None
    reason_code: str | None = None
    reason_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``bo history --json`` shape (amounts as decimal strings, times in ISO 8601)."""
        data: dict[str, Any] = plain(self)
        return data


@dataclass(frozen=True)
class HistoryStats:
    attempts: int
    successes: int
    refusals: int
    per_day_by_operation: list[tuple[date, str, int]]
    amounts_by_currency: list[tuple[str, Money, Money]]  # currency, refunded, charged back
    per_user_outcome: list[tuple[str, str, int]]
    refusals_by_reason: list[tuple[str, int]] = field(default_factory=list)  # result code, count
    refusals_by_role: list[tuple[str, int]] = field(default_factory=list)
    # currency, refused attempts, their attempted total
    refused_attempted: list[tuple[str, int, Money]] = field(default_factory=list)


CSV_HEADER = [f.name for f in fields(HistoryEntry)]
# The row shape is HistoryEntry itself: each field reads the audit column of its
# name, the three amounts their ``*_minor`` column (shown in the record's currency).
_AMOUNTS = ("amount", "attempted", "available_before", "available_after")
COLUMNS = [f"{name}_minor" if name in _AMOUNTS else name for name in CSV_HEADER]


def _money(minor: int | None, currency: str | None) -> Money | None:
    return None if minor is None or currency is None else Money(minor, currency)


def _entry(r: Any) -> HistoryEntry:
    values = dict(zip(CSV_HEADER, r, strict=True))
    for name in _AMOUNTS:
        values[name] = _money(values[name], values["currency"])
    return HistoryEntry(**values)


def list_history(
    ctx: Context, filters: HistoryFilters, *, actor: Actor, limit: int = 200, offset: int = 0
) -> list[HistoryEntry]:
    """Attempts matching ``filters`` within the actor's scope, newest first."""
    _, scope = require_scoped(ctx, actor, Permission.HISTORY_VIEW)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError("Limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InputError("Offset", "must be a whole number from 0")
    with ctx.db.engine.connect() as conn:
        currencies = _currencies(conn, filters)
        rows = conn.execute(
            history_sql.newest_first(filters, COLUMNS, scope, currencies).limit(limit).offset(offset)
        ).all()
    return [_entry(r) for r in rows]


def transaction_history(ctx: Context, uuid: str, *, actor: Actor) -> list[HistoryEntry]:
    """Attempts on this transaction (as parent) and the one that created it, newest first."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    key = parse_uuid(uuid)
    with ctx.db.uow() as uow:
        get_transaction(uow.session, uuid, scope=scope)  # outside the scope: not found
    with ctx.db.engine.connect() as conn:
        return [_entry(r) for r in conn.execute(history_sql.of_transaction(key, COLUMNS)).all()]


def _currencies(conn: Connection, filters: HistoryFilters) -> list[str]:
    """The currencies an attempted-amount bound is read in (none needed without bounds)."""
    if filters.min_attempted is None and filters.max_attempted is None:
        return []
    return distinct_values(conn, "currency")


def filter_choices(ctx: Context, *, actor: Actor) -> tuple[list[str], list[str], list[str]]:
    """Usernames, merchants and currencies offered by the history form's pickers."""
    _, scope = require_scoped(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.engine.connect() as conn:
        return (
            [str(u) for u in conn.execute(select(UserRow.username).order_by(UserRow.username)).scalars()],
            [m for m in distinct_values(conn, "merchant") if scope.merchant_visible(m)],
            distinct_values(conn, "currency"),
        )


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def history_stats(ctx: Context, filters: HistoryFilters, *, actor: Actor) -> HistoryStats:
    """Totals and breakdowns of the matching attempts, aggregated by the database.

    Needs ``analytics:view`` besides ``history:view``: the charts are analytics.
    """
    _, scope = require_scoped(ctx, actor, Permission.HISTORY_VIEW)
    require(ctx, actor, Permission.ANALYTICS_VIEW)
    with ctx.db.engine.connect() as conn:
        currencies = _currencies(conn, filters)
        (attempts, successes), per_day, sums, per_user = history_sql.stats(conn, filters, scope, currencies)
        by_reason, by_role, attempted = history_sql.refusal_stats(conn, filters, scope, currencies)
    totals: dict[str, dict[str, int]] = {}
    for currency, operation, minor in sums:
        totals.setdefault(currency, {})[operation] = int(minor or 0)
    amounts = [
        (
            cur,
            Money(by_op.get(Operation.REFUND.value, 0), cur),
            Money(by_op.get(Operation.CHARGEBACK.value, 0), cur),
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
        refusals_by_reason=[(str(code), int(n)) for code, n in by_reason],
        refusals_by_role=[(str(role or "unknown"), int(n)) for role, n in by_role],
        refused_attempted=[(cur, int(n), Money(int(total or 0), cur)) for cur, n, total in attempted],
    )


def count_history(ctx: Context, filters: HistoryFilters, *, actor: Actor, cap: int) -> int:
    """How many attempts match, counting at most ``cap + 1`` (more means "over the cap")."""
    _, scope = require_scoped(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.engine.connect() as conn:
        limited = history_sql.newest_first(filters, ["seq"], scope, _currencies(conn, filters)).limit(cap + 1)
        return int(conn.execute(select(func.count()).select_from(limited.subquery())).scalar_one())


def export_history_csv(
    ctx: Context,
    filters: HistoryFilters,
    out: TextIO,
    *,
    actor: Actor,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write the matching attempts as CSV (header first), newest first; return the row count."""
    _, scope = require_scoped(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.engine.connect() as conn:
        ordered = history_sql.newest_first(filters, COLUMNS, scope, _currencies(conn, filters))
        batches = keyset_batches(conn, ordered, A.created_at, A.seq, _entry, EXPORT_BATCH)
        return write_csv(out, CSV_HEADER, batches, progress)
