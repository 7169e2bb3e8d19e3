"""SQL terms of a transaction search, each shaped to be served by an index.

Dialect details live here (the free-text term in ``search_text``): distinct
values are listed by skipping through an index with a recursive query.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select, text

from bo_core.db.models import TransactionRow
from bo_core.domain.filters import SearchFilters
from bo_core.domain.money import exponent

T = TransactionRow.__table__.c


def row_columns(names: Sequence[str]) -> tuple[Any, ...]:
    """The columns ``names`` of ``transactions``, then ``id`` (the keyset's tie-breaker)."""
    return (*(T[name] for name in names), T.id)


def minor_bounds(f: SearchFilters, currency: str) -> tuple[int | None, int | None]:
    scale = Decimal(10) ** exponent(currency)
    low = None if f.min_amount is None else int((Decimal(f.min_amount) * scale).to_integral(ROUND_CEILING))
    high = None if f.max_amount is None else int((Decimal(f.max_amount) * scale).to_integral(ROUND_FLOOR))
    return low, high


def amount_in(
    currency: str, low: int | None, high: int | None, *, indexed: bool = True
) -> ColumnElement[bool]:
    amount = T.amount_minor if indexed else T.amount_minor + 0  # "+ 0": no index on the amount
    parts = [T.currency == currency]
    if low is not None:
        parts.append(amount >= low)
    if high is not None:
        parts.append(amount <= high)
    return and_(*parts)


def brand_condition(conn: Connection, value: str) -> ColumnElement[bool]:
    """Brand OR payment method, narrowed to the column(s) that hold the value.

    Brands and payment methods are different vocabularies; comparing only the
    column that has the value lets one (column, created_at) index give the
    rows in date order. Each probe is a single index seek.
    """
    columns = [
        col
        for col in (T.brand, T.payment_method)
        if conn.execute(select(col).where(col == value).limit(1)).first() is not None
    ]
    if not columns:
        return false()
    return columns[0] == value if len(columns) == 1 else or_(*(c == value for c in columns))


_DISTINCT_COLUMNS = {"merchant", "currency", "brand", "payment_method"}


def distinct_values(conn: Connection, column: str) -> list[str]:
    """Distinct values of an indexed column by skipping through its index.

    A recursive query seeks the next greater value once per distinct value,
    so the cost follows the number of values, not of rows.
    """
    if column not in _DISTINCT_COLUMNS:
        raise ValueError(f"no index to list {column}")
    sql = text(
        f"""
        WITH RECURSIVE v(x) AS (
            SELECT (SELECT {column} FROM transactions WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM transactions WHERE {column} > v.x ORDER BY {column} LIMIT 1)
            FROM v WHERE v.x IS NOT NULL
        )
        SELECT x FROM v WHERE x IS NOT NULL
        """
    )
    return [str(x) for x in conn.execute(sql).scalars()]
