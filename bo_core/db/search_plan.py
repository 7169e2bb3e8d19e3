"""A search's WHERE clause and order, chosen with cheap planner probes.

The database filters, orders and pages; every shape of search is served by an
index of ``transactions``. Where a backend's planner would pick a slow plan,
a bounded index probe decides the query's shape instead (see ``DENSE_MATCHES``
and ``PREFIX_DENSE_MATCHES``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, func, literal_column, or_, select

from bo_core.db.models import TransactionRow
from bo_core.db.scope_sql import transactions_in, where
from bo_core.db.search_sql import T, amount_in, brand_condition, distinct_values, minor_bounds
from bo_core.db.search_text import FOUR_DIGITS, HEX32, prefix_match, prefix_terms, text_condition
from bo_core.domain.errors import InputError
from bo_core.domain.filters import SearchFilters
from bo_core.domain.scope import Scope

# A filter with this many matches is read in date order; fewer are fetched and sorted (see _dense).
DENSE_MATCHES = 2000
# Prefix searches on PostgreSQL: below this many matches, fetch and sort them rather
# than walk the date index (break-even measured at ~5,000 of 1,000,000 rows).
PREFIX_DENSE_MATCHES = 5000


def _dense(conn: Connection, term: ColumnElement[bool]) -> bool:
    """Whether an amount range matches at least ``DENSE_MATCHES`` rows (one covering-index probe).

    SQLite keeps no value histograms, so for any amount range it reads every
    match through the (currency, amount) index and sorts them all by date. For a
    wide range, reading the currency's rows newest first and filtering the
    amount stops after a page; for a narrow one the amount index stays best.
    """
    probe = select(T.id).where(term).limit(DENSE_MATCHES).subquery()
    return int(conn.execute(select(func.count()).select_from(probe)).scalar_one()) >= DENSE_MATCHES


def _amount_condition(
    conn: Connection, f: SearchFilters, by_date: bool = False
) -> ColumnElement[bool] | None:
    if f.min_amount is None and f.max_amount is None:
        return None
    currencies = [f.currency] if f.currency else distinct_values(conn, "currency")
    terms = []
    for cur in currencies:
        try:
            low, high = minor_bounds(f, cur)
        except InputError:  # a code in the data that is not ISO 4217 cannot match an amount
            continue
        if low is None or high is None or low <= high:
            term = amount_in(cur, low, high)
            if by_date and conn.dialect.name == "sqlite" and _dense(conn, term):
                term = amount_in(cur, low, high, indexed=False)
            terms.append(term)
    if not terms:
        return false()
    return terms[0] if len(terms) == 1 else or_(*terms)


def conditions(
    conn: Connection,
    f: SearchFilters,
    by_date: bool = False,
    scope: Scope | None = None,
    *,
    text_indexed: bool = True,
) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``f`` within ``scope``; ``by_date``: shaped for reading newest first."""
    dialect = conn.dialect.name
    out: list[ColumnElement[bool]] = where(transactions_in(scope))
    if f.text:
        out.append(text_condition(f.text, dialect, indexed=text_indexed))
    if f.types:
        out.append(T.type == f.types[0] if len(f.types) == 1 else T.type.in_(f.types))
    if f.statuses:
        out.append(T.status == f.statuses[0] if len(f.statuses) == 1 else T.status.in_(f.statuses))
    if f.merchant:
        out.append(T.merchant == f.merchant)
    if f.brand:
        out.append(brand_condition(conn, f.brand))
    amount = _amount_condition(conn, f, by_date)
    if amount is not None:
        out.append(amount)
    elif f.currency:
        out.append(T.currency == f.currency)
    if f.date_from is not None:
        out.append(T.created_at >= f.date_from)
    if f.date_to is not None:
        out.append(T.created_at < f.date_to)
    return out


def _sparse_prefix_search(conn: Connection, f: SearchFilters) -> bool | None:
    """Whether a prefix search matches fewer than ``PREFIX_DENSE_MATCHES`` rows (None: no prefix search).

    PostgreSQL's planner assumes matches are spread evenly over time and, for a
    prefix matching ~0.1% of rows, walks the date index newest first, fetching
    tens of thousands of rows to fill one page. Reading the few matches through
    the prefix indexes and sorting them is far cheaper. SQLite's planner errs the
    other way: it reads every match of a common prefix (a surname, a large mail
    domain: a quarter of the rows) and sorts them all, where the date walk stops
    after a page. The probe counts each
    prefix range (Transaction ID, e-mail, holder, surname, domain, UUID) on its
    own index (index-only, bounded), ignoring the other filters: it can only
    overestimate, which keeps the date walk.
    """
    if not f.text or HEX32.match(f.text.replace("-", "")) or FOUR_DIGITS.match(f.text):
        return None
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return _estimated_rows(conn, f.text) < PREFIX_DENSE_MATCHES
    counts = [
        select(func.count())
        .select_from(
            select(literal_column("1"))
            .select_from(TransactionRow.__table__)
            .where(prefix_match(expr, value, dialect))
            .limit(PREFIX_DENSE_MATCHES)
            .subquery()
        )
        .scalar_subquery()
        for expr, value in prefix_terms(f.text, dialect)
    ]
    total: Any = counts[0]
    for more in counts[1:]:
        total = total + more
    found = int(conn.execute(select(total)).scalar_one())  # one round trip for every probe
    return found < PREFIX_DENSE_MATCHES


def _estimated_rows(conn: Connection, q: str) -> float:
    """PostgreSQL's own estimate of a free text's matches (planning only, no rows read).

    Counting would read up to ``PREFIX_DENSE_MATCHES`` rows of a common surname or mail
    domain from the heap (expression indexes allow no index-only scan); ``ANALYZE``
    keeps statistics of every indexed expression, so the estimate is close enough.
    """
    compiled = (
        select(literal_column("1"))
        .select_from(TransactionRow.__table__)
        .where(text_condition(q, "postgresql"))
    ).compile(conn)
    plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def ordered(
    conn: Connection, f: SearchFilters, columns: tuple[Any, ...], scope: Scope | None = None
) -> Select[Any]:
    """The matches of ``f`` within ``scope`` as ``columns``, newest first (``created_at DESC, id DESC``)."""
    sparse = _sparse_prefix_search(conn, f)
    sqlite = conn.dialect.name == "sqlite"
    # SQLite, many matches: the text term uses no index, so the rows are read in date order.
    where = conditions(conn, f, by_date=True, scope=scope, text_indexed=not (sqlite and sparse is False))
    newest = T.created_at.desc()
    if sparse and not sqlite:
        # "+ interval 0": same order, but not the date index's, so the matches are sorted.
        newest = T.created_at.op("+")(literal_column("interval '0 seconds'")).desc()
    return select(*columns).where(*where).order_by(newest, T.id.desc())


def count(conn: Connection, f: SearchFilters, cap: int | None, scope: Scope | None = None) -> int:
    """How many rows match ``f`` within ``scope``, counting at most ``cap + 1``."""
    inner = select(T.id).where(*conditions(conn, f, scope=scope))
    if cap is not None:
        inner = inner.limit(cap + 1)
    return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())
