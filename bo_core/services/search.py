"""Transaction search: one page, a bounded count, a CSV export, the pickers' values.

Filters are parsed in ``domain.filters``; the SQL and its planner probes live in
``db.search_plan``; keyset paging in ``db.paging``; CSV writing in
``services.export``. Ordering is newest first: ``created_at DESC, id DESC``.
Pages are addressed by number (OFFSET) or, cheaper for deep pages, by the
opaque cursor of the previous page (keyset). Both give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import literal_column

from bo_core.db import search_plan
from bo_core.db.paging import after as _after
from bo_core.db.paging import decode_cursor, encode_cursor, keyset_batches
from bo_core.db.search_sql import T, distinct_values, row_columns
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.domain.filters import SearchFilters, parse_filters
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission
from bo_core.domain.scope import Scope
from bo_core.services.access import require_scoped
from bo_core.services.context import Context
from bo_core.services.export import csv_cell, masked, personal_data_allowed, write_csv

__all__ = [
    "CSV_HEADER",
    "DEFAULT_COUNT_CAP",
    "CountResult",
    "FilterOptions",
    "SearchFilters",
    "SearchPage",
    "TxSummary",
    "count_matches",
    "csv_cell",
    "decode_cursor",
    "encode_cursor",
    "export_csv",
    "filter_options",
    "iter_matches",
    "parse_filters",
    "search_page",
]

MAX_PAGE_SIZE = 500
MAX_OFFSET = 10**9  # deeper pages are reached with the cursor
DEFAULT_COUNT_CAP = 100_000


@dataclass(frozen=True)
class TxSummary:
    uuid: str
    transaction_id: str
    type: str
    status: str
    result_code: str
    amount: Money
    amount_minor: int
    currency: str
    merchant: str
    channel: str
    payment_method: str
    brand: str
    last4: str | None
    holder: str | None
    customer_email: str | None
    created_at: datetime
    parent_uuid: str | None
    source: str
    reason_code: str | None = None  # refunds and chargebacks
    reason_note: str | None = None


@dataclass(frozen=True)
class SearchPage:
    rows: list[TxSummary]
    page: int
    page_size: int
    has_next: bool
    next_cursor: str | None


@dataclass(frozen=True)
class CountResult:
    value: int
    capped: bool


@dataclass(frozen=True)
class FilterOptions:
    merchants: list[str]
    currencies: list[str]
    brands: list[str]


CSV_HEADER = [f.name for f in fields(TxSummary)]
# The row shape is TxSummary itself: every field but ``amount`` is the column of that
# name, read in field order; ``amount`` is derived from the two columns after it.
_STORED = [name for name in CSV_HEADER if name != "amount"]
_AMOUNT_AT = CSV_HEADER.index("amount")
ROW_COLUMNS = row_columns(_STORED)
if _STORED[_AMOUNT_AT : _AMOUNT_AT + 2] != ["amount_minor", "currency"]:  # pragma: no cover
    raise TypeError("TxSummary.amount must come right before amount_minor and currency")


def _summary(row: Any) -> TxSummary:
    # Positional (no per-field lookups by name: about a microsecond each, a third
    # of a page's time on SQLite).
    values = tuple(row)
    at = _AMOUNT_AT
    amount = Money(values[at], values[at + 1])
    args: tuple[Any, ...] = (*values[:at], amount, *values[at : len(_STORED)])
    return TxSummary(*args)


def search_page(
    ctx: Context,
    filters: SearchFilters,
    *,
    actor: Actor,
    page: int = 1,
    page_size: int = 50,
    after: str | None = None,
) -> SearchPage:
    """One page, newest first. ``after`` (a previous ``next_cursor``) pages by keyset."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError("Page size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InputError("Page", "must be a whole number from 1")
    if (page - 1) * page_size > MAX_OFFSET:
        raise InputError("Page", "is beyond the last page that can be addressed by number")
    cursor = decode_cursor(after) if after else None
    with ctx.db.engine.connect() as conn:
        # LIMIT and OFFSET as literals (checked whole numbers): SQLite plans a bound LIMIT
        # as unknown and may then walk the date index past a few OR-indexed matches.
        stmt = search_plan.ordered(conn, filters, ROW_COLUMNS, scope).limit(
            literal_column(str(page_size + 1))
        )
        if cursor is not None:
            stmt = stmt.where(_after(T.created_at, T.id, cursor))
        elif page > 1:
            stmt = stmt.offset(literal_column(str((page - 1) * page_size)))
        rows = conn.execute(stmt).all()
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_next else None
    return SearchPage(
        rows=[_summary(r) for r in rows],
        page=page,
        page_size=page_size,
        has_next=has_next,
        next_cursor=next_cursor,
    )


def count_matches(
    ctx: Context, filters: SearchFilters, *, actor: Actor, cap: int | None = DEFAULT_COUNT_CAP
) -> CountResult:
    """Count matches, stopping at ``cap`` (``capped`` then says "more than cap")."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise InputError("Count cap", "must be a positive whole number or None")
    with ctx.db.engine.connect() as conn:
        value = search_plan.count(conn, filters, cap, scope)
    if cap is not None and value > cap:
        return CountResult(value=cap, capped=True)
    return CountResult(value=value, capped=False)


def iter_matches(
    ctx: Context, filters: SearchFilters, *, actor: Actor, batch: int = 5000
) -> Iterator[list[TxSummary]]:
    """All matches in keyset batches (constant memory), newest first; checked before the first batch."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError("Batch", "must be a positive whole number")
    return _batches(ctx, filters, batch, scope)


def _batches(ctx: Context, filters: SearchFilters, batch: int, scope: Scope) -> Iterator[list[TxSummary]]:
    with ctx.db.engine.connect() as conn:
        ordered = search_plan.ordered(conn, filters, ROW_COLUMNS, scope)
        yield from keyset_batches(conn, ordered, T.created_at, T.id, _summary, batch)


def export_csv(
    ctx: Context,
    filters: SearchFilters,
    out: TextIO,
    *,
    actor: Actor,
    progress: Callable[[int], object] | None = None,
    batch: int = 5000,
    columns: Sequence[str] | None = None,
) -> int:
    """Write every match as CSV (header first) to ``out``; return the number of rows.

    E-mail addresses and holder names are masked as on screen unless the actor's role
    has ``transactions:export_personal``.

    ``columns``: the fields to write, in this order (default: all of ``CSV_HEADER``).
    """
    header = list(columns) if columns else CSV_HEADER
    unknown = [c for c in header if c not in CSV_HEADER]
    if unknown:
        raise InputError("Columns", f"unknown column {str(unknown[0])[:40]!r}")
    batches = iter_matches(ctx, filters, actor=actor, batch=batch)
    if not personal_data_allowed(ctx, actor):  # masked like the screen
        batches = (masked(rows) for rows in batches)
    return write_csv(out, header, batches, progress)


def filter_options(ctx: Context, *, actor: Actor) -> FilterOptions:
    """Values offered by the search form's pickers (merchants within the actor's scope)."""
    _, scope = require_scoped(ctx, actor, Permission.TRANSACTIONS_VIEW)
    with ctx.db.engine.connect() as s:
        brands = set(distinct_values(s, "brand")) | set(distinct_values(s, "payment_method"))
        return FilterOptions(
            merchants=[m for m in distinct_values(s, "merchant") if scope.merchant_visible(m)],
            currencies=distinct_values(s, "currency"),
            brands=sorted(brands),
        )
