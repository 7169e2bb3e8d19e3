"""The free-text term of a transaction search, by the shape of what was typed.

Every branch is a range or an equality on an index of migration 0009 (or
earlier): Transaction IDs compare lower-cased (``lower(transaction_id)``), a
surname is the holder name after its first space, an e-mail domain the address
after its ``@``. The same expressions, spelled per dialect, are the indexed ones.
"""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, literal_column, or_

from bo_core.db.models import TransactionRow

T = TransactionRow.__table__.c
HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
HEX_PREFIX = re.compile(r"^[0-9a-fA-F]{6,31}$")
FOUR_DIGITS = re.compile(r"^\d{4}$")


def _after(column: Any, separator: str, dialect: str) -> Any:
    """``column`` after the first ``separator`` (all of it when there is none)."""
    position = func.strpos if dialect == "postgresql" else func.instr
    return func.substr(column, position(column, literal_column(f"'{separator}'")) + literal_column("1"))


def txid_lc() -> Any:
    return func.lower(T.transaction_id)


def surname(dialect: str) -> Any:
    return _after(T.holder_lc, " ", dialect)


def email_domain(dialect: str) -> Any:
    return _after(T.customer_email, "@", dialect)


def _next_prefix(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


def prefix_match(column: Any, prefix: str, dialect: str, *, indexed: bool = True) -> ColumnElement[bool]:
    """``column >= prefix AND column < next`` (a btree range on both backends).

    On PostgreSQL the comparison uses the "C" collation, matching the indexes
    of migrations 0002 and 0009, so the range is exactly "starts with" whatever
    the database's collation. ``indexed=False`` (SQLite): ``column || ''``,
    the same values, which no index serves.
    """
    if dialect == "postgresql":
        col = column.collate("C")
    else:
        col = column if indexed else column.concat(literal_column("''"))
    upper = _next_prefix(prefix)
    if upper is None:
        return cast(ColumnElement[bool], col >= prefix)
    return and_(col >= prefix, col < upper)


def prefix_terms(q: str, dialect: str) -> list[tuple[Any, str]]:
    """The (expression, prefix) pairs a free text is looked up in, by its shape."""
    lowered = q.lower()
    compact = q.replace("-", "")
    if q.startswith("@"):
        return [(email_domain(dialect), lowered[1:])] if len(q) > 1 else [(T.customer_email, lowered)]
    if "@" in q:
        return [(T.customer_email, lowered)]
    terms: list[tuple[Any, str]] = [
        (txid_lc(), lowered),
        (T.customer_email, lowered),
        (T.holder_lc, lowered),
    ]
    if " " not in q:
        terms.append((surname(dialect), lowered))
        if "." in q:
            terms.append((email_domain(dialect), lowered))
    if HEX_PREFIX.match(compact):
        terms.append((T.uuid, compact.lower()))
    return terms


def text_condition(q: str, dialect: str, *, indexed: bool = True) -> ColumnElement[bool]:
    """Free text: a UUID, last 4 digits, or a prefix of a Transaction ID (any case), UUID,
    e-mail address, e-mail domain (``@domain`` or ``domain.tld``), holder name or surname."""
    compact = q.replace("-", "")
    # On PostgreSQL the index holds lower(transaction_id) in "C": equality compares so too.
    txid = txid_lc().collate("C") if dialect == "postgresql" else txid_lc()
    if HEX32.match(compact):
        return or_(T.uuid == compact.lower(), txid == q.lower())
    if FOUR_DIGITS.match(q):
        return or_(T.last4 == q, txid == q)
    terms = [prefix_match(expr, value, dialect, indexed=indexed) for expr, value in prefix_terms(q, dialect)]
    return terms[0] if len(terms) == 1 else or_(*terms)
