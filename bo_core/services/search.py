"""Transaction search: validated filters turned into index-served SQL.

The database filters, orders and pages; Python only shapes the rows of one
page (or one export batch). Every shape of search is served by an index of
``transactions`` (see migration 0002 for the ones added for search).

Ordering is newest first: ``created_at DESC, id DESC``. Pages are addressed by
number (OFFSET) or, cheaper for deep pages, by the opaque cursor of the
previous page (keyset). Both give the same rows.
"""

from __future__ import annotations

import base64
import binascii
import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, TextIO, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)

from bo_core.db.models import TransactionRow
from bo_core.domain.errors import InputError, InvalidAmount
from bo_core.domain.money import check_currency, exponent, minor_to_str, parse_amount
from bo_core.domain.permissions import Permission
from bo_core.domain.types import Status, TxType
from bo_core.services.access import require
from bo_core.services.context import Context

MAX_TEXT = 200
MAX_PAGE_SIZE = 500
MAX_OFFSET = 10**9  # deeper pages are reached with the cursor
MAX_ROW_ID = 2**63 - 1
DEFAULT_COUNT_CAP = 100_000
# A filter with this many matches is read in date order; fewer are fetched and sorted (see _dense).
DENSE_MATCHES = 2000
# Prefix searches on PostgreSQL: below this many matches, fetch and sort them rather
# than walk the date index (break-even measured at ~5,000 of 1,000,000 rows).
PREFIX_DENSE_MATCHES = 5000
# Amount filters without a currency are validated at the finest precision any currency has.
_FINEST_EXPONENT = 4
_ZERO = re.compile(r"^0+(\.0+)?$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_FOUR_DIGITS = re.compile(r"^\d{4}$")

T = TransactionRow.__table__.c


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class SearchFilters:
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    merchant: str | None = None
    currency: str | None = None
    brand: str | None = None  # matches brand OR payment_method
    min_amount: str | None = None  # decimal string, major units
    max_amount: str | None = None
    text: str | None = None


def has_control_chars(value: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in value)


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, Iterable):
        return tuple(v for v in value if not (isinstance(v, str) and not v.strip()))
    return (value,)


def _parse_codes(
    field: str, raw: object, allowed: Sequence[str], normalize: Callable[[str], str]
) -> tuple[str, ...]:
    out: list[str] = []
    for item in _as_tuple(raw):
        code = normalize(str(item).strip())
        if code not in allowed:
            raise InputError(field, f"{str(item)[:20]!r} is unknown; use one of {', '.join(allowed)}")
        if code not in out:
            out.append(code)
    return tuple(out)


def parse_instant(field: str, value: object) -> datetime | None:
    """A date (``YYYY-MM-DD``: midnight UTC) or an ISO datetime; naive means UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    elif isinstance(value, str):
        raw = value.strip()
        try:
            if len(raw) == 10:
                moment = datetime.combine(date.fromisoformat(raw), time(0))
            else:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InputError(field, f"{raw[:40]!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    else:
        raise InputError(field, "must be a date or a datetime")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "is out of the supported range of dates") from None


def parse_period(date_from: object, date_to: object) -> tuple[datetime | None, datetime | None]:
    start = parse_instant("From", date_from)
    end = parse_instant("To", date_to)
    if start is not None and end is not None and start >= end:
        raise InputError("To", "must be later than From (From is inclusive, To exclusive)")
    return start, end


def parse_label(field: str, value: object, max_len: int) -> str | None:
    """Optional exact-match text such as a merchant or a username."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    raw = value.strip()
    if not raw:
        return None
    if len(raw) > max_len:
        raise InputError(field, f"is longer than {max_len} characters")
    if has_control_chars(raw):
        raise InputError(field, "must not contain control characters")
    return raw


def parse_currency(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_currency(str(value).strip().upper())


def _parse_bound(field: str, value: object, currency: str | None, *, allow_zero: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        value = str(value)
    raw = value.strip() if isinstance(value, str) else value
    if allow_zero and isinstance(raw, str) and _ZERO.match(raw):
        return Decimal(0)
    try:
        if currency is None:
            if isinstance(raw, str) and "." in raw and len(raw.rsplit(".", 1)[1]) > _FINEST_EXPONENT:
                raise InvalidAmount(f"allows at most {_FINEST_EXPONENT} decimal digits")
            money = parse_amount(raw, "CLF")  # a currency with 4 minor digits
        else:
            money = parse_amount(raw, currency)
    except InvalidAmount as exc:
        raise InputError(field, exc.message.removeprefix("Amount: "), exc.result_code) from None
    return money.decimal


def parse_free_text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("Search text", "must be text")
    raw = value.strip()
    if not raw:
        return None
    if len(raw) > MAX_TEXT:
        raise InputError("Search text", f"is longer than {MAX_TEXT} characters")
    if has_control_chars(raw):
        raise InputError("Search text", "must not contain control characters")
    return raw


def parse_filters(
    *,
    types: object = (),
    statuses: object = (),
    date_from: object = None,
    date_to: object = None,
    merchant: object = None,
    currency: object = None,
    brand: object = None,
    min_amount: object = None,
    max_amount: object = None,
    text: object = None,
) -> SearchFilters:
    """Validate raw user input; raise ``InputError`` naming the first bad field."""
    type_codes = _parse_codes("Type", types, [t.value for t in TxType], str.upper)
    status_codes = _parse_codes("Status", statuses, [s.value for s in Status], str.lower)
    start, end = parse_period(date_from, date_to)
    cur = parse_currency(currency)
    low = _parse_bound("Minimum amount", min_amount, cur, allow_zero=True)
    high = _parse_bound("Maximum amount", max_amount, cur, allow_zero=False)
    if low is not None and high is not None and low > high:
        raise InputError("Minimum amount", "must not be greater than the maximum amount")
    return SearchFilters(
        types=type_codes,
        statuses=status_codes,
        date_from=start,
        date_to=end,
        merchant=parse_label("Merchant", merchant, 64),
        currency=cur,
        brand=parse_label("Brand", brand, 16),
        min_amount=None if low is None else str(low),
        max_amount=None if high is None else str(high),
        text=parse_free_text(text),
    )


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class TxSummary:
    uuid: str
    transaction_id: str
    type: str
    status: str
    result_code: str
    amount: str
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
_ROW_COLUMNS = (
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


def _summary(row: Any) -> TxSummary:
    # Unpacked by position (the order of _ROW_COLUMNS): reading a Row's fields by
    # name costs about a microsecond each, a third of a page's time on SQLite.
    (
        uuid,
        txid,
        type_,
        status,
        code,
        minor,
        currency,
        merchant,
        channel,
        method,
        brand,
        last4,
        holder,
        email,
    ) = row[:14]
    created_at, parent_uuid, source = row[14:17]
    return TxSummary(
        uuid=uuid,
        transaction_id=txid,
        type=type_,
        status=status,
        result_code=code,
        amount=minor_to_str(minor, currency),
        amount_minor=minor,
        currency=currency,
        merchant=merchant,
        channel=channel,
        payment_method=method,
        brand=brand,
        last4=last4,
        holder=holder,
        customer_email=email,
        created_at=created_at,
        parent_uuid=parent_uuid,
        source=source,
    )


# --------------------------------------------------------------------------- SQL


def _next_prefix(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


def _prefix_match(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
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
    if _HEX32.match(compact):
        return or_(T.uuid == compact.lower(), T.transaction_id == q)
    if _FOUR_DIGITS.match(q):
        return or_(T.last4 == q, T.transaction_id == q)
    lowered = q.lower()
    if "@" in q:
        return _prefix_match(T.customer_email, lowered, dialect)
    return or_(
        T.transaction_id == q,
        _prefix_match(T.customer_email, lowered, dialect),
        _prefix_match(T.holder_lc, lowered, dialect),
    )


def _minor_bounds(f: SearchFilters, currency: str) -> tuple[int | None, int | None]:
    scale = Decimal(10) ** exponent(currency)
    low = None if f.min_amount is None else int((Decimal(f.min_amount) * scale).to_integral(ROUND_CEILING))
    high = None if f.max_amount is None else int((Decimal(f.max_amount) * scale).to_integral(ROUND_FLOOR))
    return low, high


def _amount_in(
    currency: str, low: int | None, high: int | None, *, indexed: bool = True
) -> ColumnElement[bool]:
    amount = T.amount_minor if indexed else T.amount_minor + 0  # "+ 0": no index on the amount
    parts = [T.currency == currency]
    if low is not None:
        parts.append(amount >= low)
    if high is not None:
        parts.append(amount <= high)
    return and_(*parts)


def _dense(conn: Connection, term: ColumnElement[bool]) -> bool:
    """Whether an amount range matches at least ``DENSE_MATCHES`` rows (one covering-index probe).

    SQLite keeps no value histograms, so for any amount range it reads every
    match through the (currency, amount) index and sorts them all by date. For a
    wide range, reading the currency's rows newest first and filtering the
    amount stops after a page; for a narrow one the amount index stays best.
    """
    return _dense_probe(conn, select(T.id).where(term).limit(DENSE_MATCHES).subquery())


def _amount_condition(
    conn: Connection, f: SearchFilters, by_date: bool = False
) -> ColumnElement[bool] | None:
    if f.min_amount is None and f.max_amount is None:
        return None
    currencies = [f.currency] if f.currency else distinct_values(conn, "currency")
    terms = []
    for cur in currencies:
        try:
            low, high = _minor_bounds(f, cur)
        except InputError:  # a code in the data that is not ISO 4217 cannot match an amount
            continue
        if low is None or high is None or low <= high:
            term = _amount_in(cur, low, high)
            if by_date and conn.dialect.name == "sqlite" and _dense(conn, term):
                term = _amount_in(cur, low, high, indexed=False)
            terms.append(term)
    if not terms:
        return false()
    return terms[0] if len(terms) == 1 else or_(*terms)


def _brand_condition(conn: Connection, value: str) -> ColumnElement[bool]:
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


def conditions(conn: Connection, f: SearchFilters, by_date: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``f``; ``by_date``: shaped for reading newest first (pages, export)."""
    dialect = conn.dialect.name
    out: list[ColumnElement[bool]] = []
    if f.text:
        out.append(text_condition(f.text, dialect))
    if f.types:
        out.append(T.type == f.types[0] if len(f.types) == 1 else T.type.in_(f.types))
    if f.statuses:
        out.append(T.status == f.statuses[0] if len(f.statuses) == 1 else T.status.in_(f.statuses))
    if f.merchant:
        out.append(T.merchant == f.merchant)
    if f.brand:
        out.append(_brand_condition(conn, f.brand))
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


def _sparse_prefix_search(conn: Connection, f: SearchFilters) -> bool:
    """PostgreSQL: whether a prefix search (e-mail, holder) matches fewer than ``PREFIX_DENSE_MATCHES``.

    The planner assumes matches are spread evenly over time and, for a prefix
    matching ~0.1% of rows, walks the date index newest first, fetching tens of
    thousands of rows to fill one page. Reading the few matches through the
    prefix indexes and sorting them is far cheaper. The probe counts each
    prefix range on its own index (index-only, bounded), ignoring the other
    filters: it can only overestimate, which keeps the date walk.
    """
    if conn.dialect.name != "postgresql" or not f.text:
        return False
    compact = f.text.replace("-", "")
    if _HEX32.match(compact) or _FOUR_DIGITS.match(f.text):
        return False
    if "@" not in f.text and any(ch.isdigit() for ch in f.text):
        # A reference such as "ORD-12345": names have no digits and e-mail
        # prefixes with digits are rare, so the matches are few: no probe needed.
        return True
    lowered = f.text.lower()
    columns = [T.customer_email] if "@" in f.text else [T.customer_email, T.holder_lc]
    counts = [
        select(func.count())
        .select_from(
            select(literal_column("1"))
            .select_from(TransactionRow.__table__)
            .where(_prefix_match(column, lowered, "postgresql"))
            .limit(PREFIX_DENSE_MATCHES)
            .subquery()
        )
        .scalar_subquery()
        for column in columns
    ]
    total = counts[0] if len(counts) == 1 else counts[0] + counts[1]
    found = int(conn.execute(select(total)).scalar_one())  # one round trip for both probes
    return found < PREFIX_DENSE_MATCHES


def _dense_probe(conn: Connection, probe: Any) -> bool:
    return int(conn.execute(select(func.count()).select_from(probe)).scalar_one()) >= DENSE_MATCHES


def _ordered(conn: Connection, f: SearchFilters) -> Select[Any]:
    where = conditions(conn, f, by_date=True)
    newest = T.created_at.desc()
    if _sparse_prefix_search(conn, f):
        # "+ interval 0": same order, but not the date index's, so the matches are sorted.
        newest = T.created_at.op("+")(literal_column("interval '0 seconds'")).desc()
    return select(*_ROW_COLUMNS).where(*where).order_by(newest, T.id.desc())


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor.strip() + "=" * (-len(cursor.strip()) % 4)
        stamp, row_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        moment = datetime.fromisoformat(stamp)
        number = int(row_id)
        if moment.tzinfo is None or not 0 <= number <= MAX_ROW_ID:
            raise ValueError("not a cursor")
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError, binascii.Error, UnicodeError, AttributeError):
        raise InputError("Cursor", "is not a cursor returned by a previous page") from None


def _after(cursor: tuple[datetime, int]) -> ColumnElement[bool]:
    moment = literal(cursor[0], T.created_at.type)
    return tuple_(T.created_at, T.id) < tuple_(moment, literal(cursor[1], T.id.type))


# --------------------------------------------------------------------------- services


def search_page(
    ctx: Context,
    filters: SearchFilters,
    *,
    actor: str | None = None,
    page: int = 1,
    page_size: int = 50,
    after: str | None = None,
) -> SearchPage:
    """One page, newest first. ``after`` (a previous ``next_cursor``) pages by keyset."""
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError("Page size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InputError("Page", "must be a whole number from 1")
    if (page - 1) * page_size > MAX_OFFSET:
        raise InputError("Page", "is beyond the last page that can be addressed by number")
    cursor = decode_cursor(after) if after else None
    with ctx.db.engine.connect() as conn:
        stmt = _ordered(conn, filters).limit(page_size + 1)
        stmt = stmt.where(_after(cursor)) if cursor is not None else stmt.offset((page - 1) * page_size)
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
    ctx: Context, filters: SearchFilters, *, actor: str | None = None, cap: int | None = DEFAULT_COUNT_CAP
) -> CountResult:
    """Count matches, stopping at ``cap`` (``capped`` then says "more than cap")."""
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise InputError("Count cap", "must be a positive whole number or None")
    with ctx.db.engine.connect() as conn:
        inner = select(T.id).where(*conditions(conn, filters))
        if cap is not None:
            inner = inner.limit(cap + 1)
        value = int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())
    if cap is not None and value > cap:
        return CountResult(value=cap, capped=True)
    return CountResult(value=value, capped=False)


def iter_matches(ctx: Context, filters: SearchFilters, *, batch: int = 5000) -> Iterator[list[TxSummary]]:
    """All matches in keyset batches (constant memory), newest first."""
    cursor: tuple[datetime, int] | None = None
    with ctx.db.engine.connect() as conn:
        base = _ordered(conn, filters).limit(batch)
        while True:
            stmt = base if cursor is None else base.where(_after(cursor))
            rows = conn.execute(stmt).all()
            if not rows:
                return
            yield [_summary(r) for r in rows]
            if len(rows) < batch:
                return
            cursor = (rows[-1].created_at, rows[-1].id)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Text for one CSV cell; a text starting like a spreadsheet formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    out = str(value)
    if isinstance(value, str) and out.startswith(_FORMULA_START):
        return "'" + out
    return out


def export_csv(
    ctx: Context,
    filters: SearchFilters,
    out: TextIO,
    *,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 5000,
    columns: Sequence[str] | None = None,
) -> int:
    """Write every match as CSV (header first) to ``out``; return the number of rows.

    ``columns``: the fields to write, in this order (default: all of ``CSV_HEADER``).
    """
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError("Batch", "must be a positive whole number")
    header = list(columns) if columns else CSV_HEADER
    unknown = [c for c in header if c not in CSV_HEADER]
    if unknown:
        raise InputError("Columns", f"unknown column {str(unknown[0])[:40]!r}")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    written = 0
    for rows in iter_matches(ctx, filters, batch=batch):
        # getattr, not dataclasses.astuple: astuple deep-copies every value of every row.
        writer.writerows([csv_cell(getattr(r, name)) for name in header] for r in rows)
        written += len(rows)
        if progress is not None:
            progress(written)
    return written


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


def filter_options(ctx: Context) -> FilterOptions:
    """Values offered by the search form's pickers."""
    with ctx.db.engine.connect() as s:
        brands = set(distinct_values(s, "brand")) | set(distinct_values(s, "payment_method"))
        return FilterOptions(
            merchants=distinct_values(s, "merchant"),
            currencies=distinct_values(s, "currency"),
            brands=sorted(brands),
        )
