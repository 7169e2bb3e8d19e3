"""SQL terms of a transaction search, each shaped to be served by an index.

Dialect details live here: prefix ranges compare with the "C" collation on
PostgreSQL (matching the indexes of migration 0002), and distinct values are
listed by skipping through an index with a recursive query.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select, text

from bo_core.db.models import TransactionRow
from bo_core.domain.filters import SearchFilters
from bo_core.domain.money import exponent

T = TransactionRow.__table__.c
HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
FOUR_DIGITS = re.compile(r"^\d{4}$")

ROW_COLUMNS = (
    T.uuid,
    T.transaction_id,
    T.type,
    T.status,
    T.result_code,
    T.amount_minor,
    T.currency,
    T.merchant,
    T.channel,
    T.payment_method,
    T.brand,
    T.last4,
    T.holder,
    T.customer_email,
    T.created_at,
    T.parent_uuid,
    T.source,
    T.id,
)
"""The columns of one search row, in the order ``services.search`` unpacks them."""


def _next_prefix(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


def prefix_match(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """``column >= prefix AND column < next`` (a btree range on both backends).

    On PostgreSQL the comparison uses the "C" collation, matching the index
    of migration 0002, so the range is exactly "starts with" whatever the
    database's collation.
    """
    col = column.collate("C") if dialect == "postgresql" else column
    upper = _next_prefix(prefix)
    if upper is None:
        return cast(ColumnElement[bool], col >= prefix)
    return and_(col >= prefix, col < upper)


def text_condition(q: str, dialect: str) -> ColumnElement[bool]:
    """Free text, by its shape: UUID, Transaction ID, last 4, email or holder prefix."""
    compact = q.replace("-", "")
    if HEX32.match(compact):
        return or_(T.uuid == compact.lower(), T.transaction_id == q)
    if FOUR_DIGITS.match(q):
        return or_(T.last4 == q, T.transaction_id == q)
    lowered = q.lower()
    if "@" in q:
        return prefix_match(T.customer_email, lowered, dialect)
    return or_(
        T.transaction_id == q,
        prefix_match(T.customer_email, lowered, dialect),
        prefix_match(T.holder_lc, lowered, dialect),
    )


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
