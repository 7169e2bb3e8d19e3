"""The measured workloads: each one a service call, the same query on the raw driver, and a pandas filter.

The raw query (the "floor") returns the same rows as the service, written by
hand in the plainest SQL that the best index serves; the harness checks that
both return the same UUIDs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.params import EXPORT_ROWS, PAGE_SIZE, Params
from bo_core.domain.authorization import SYSTEM
from bo_core.services import search
from bo_core.services.context import Context
from bo_core.services.show import show_transaction

COLUMNS = (
    "uuid, transaction_id, type, status, result_code, amount_minor, currency, merchant, channel, "
    "payment_method, brand, last4, holder, customer_email, created_at, parent_uuid, source, id"
)
ORDER = "ORDER BY created_at DESC, id DESC"
COUNT_CAP = search.DEFAULT_COUNT_CAP
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_FOUR = re.compile(r"^\d{4}$")
_HEX_PREFIX = re.compile(r"^[0-9a-fA-F]{6,31}$")


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str  # "search": held to the search targets; "other": reported only
    service: Callable[[], list[str]]  # returns the UUIDs it produced (or [count])
    floor: Callable[[Any], list[str]]  # given a raw DB-API connection
    max_repeat: int | None = None


class Sql:
    """Raw SQL text for one dialect: placeholders and the prefix collation."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.mark = "?" if dialect == "sqlite" else "%s"
        # A wide amount range is best read by date on SQLite (unary plus: no amount index).
        self.amount = "+amount_minor" if dialect == "sqlite" else "amount_minor"

    def ts(self, moment: datetime) -> Any:
        """A date bound as a developer binds it on the raw driver, not in the product's own spelling.

        PostgreSQL: a naive UTC ``datetime`` (the column is ``timestamp``).
        SQLite: the text ``sqlite3``'s own datetime adapter sends,
        ``YYYY-MM-DD HH:MM:SS`` (with ``.ffffff`` only when there are
        microseconds), which is also what one types by hand. Binding the
        product's spelling here would hide any disagreement about spellings.
        """
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(" ") if self.dialect == "sqlite" else naive

    def prefix(self, column: str, value: str, indexed: bool = True) -> tuple[str, list[Any]]:
        """``indexed=False`` (SQLite): ``column || ''``, read in date order rather than by index."""
        col = f'{column} COLLATE "C"' if self.dialect == "postgresql" else column
        if not indexed and self.dialect == "sqlite":
            col = f"{column} || ''"
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        return f"({col} >= {self.mark} AND {col} < {self.mark})", [value, upper]

    def after(self, column: str, separator: str) -> str:
        """``column`` after the first ``separator`` (the indexed expressions of migration 0009)."""
        position = "strpos" if self.dialect == "postgresql" else "instr"
        return f"substr({column}, {position}({column}, '{separator}') + 1)"

    def text(self, q: str, indexed: bool = True) -> tuple[str, list[Any]]:
        """The free-text search, by its shape (as the search service reads it)."""
        m = self.mark
        i = indexed
        low, compact = q.lower(), q.replace("-", "")
        txid = (
            'lower(transaction_id) COLLATE "C"' if self.dialect == "postgresql" else "lower(transaction_id)"
        )
        if _HEX32.match(compact):
            return f"(uuid = {m} OR {txid} = {m})", [compact.lower(), low]
        if _FOUR.match(q):
            return f"(last4 = {m} OR {txid} = {m})", [q, q]
        if q.startswith("@"):
            return self.prefix(self.after("customer_email", "@"), low[1:], i)
        if "@" in q:
            return self.prefix("customer_email", low, i)
        parts = [
            self.prefix("lower(transaction_id)", low, i),
            self.prefix("customer_email", low, i),
            self.prefix("holder_lc", low, i),
        ]
        if " " not in q:
            parts.append(self.prefix(self.after("holder_lc", " "), low, i))
            if "." in q:
                parts.append(self.prefix(self.after("customer_email", "@"), low, i))
        if _HEX_PREFIX.match(compact):
            parts.append(self.prefix("uuid", compact.lower(), i))
        return "(" + " OR ".join(c for c, _ in parts) + ")", [a for _, args in parts for a in args]

    def page(
        self, where: list[str], args: list[Any], offset: int = 0, *, sort_matches: bool = False
    ) -> tuple[str, list[Any]]:
        """One page; ``sort_matches``: on PostgreSQL, fetch the (few) matches and sort them."""
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        tail = f" OFFSET {offset}" if offset else ""
        order = ORDER
        if sort_matches and self.dialect == "postgresql":
            order = "ORDER BY created_at + interval '0 seconds' DESC, id DESC"
        return f"SELECT {COLUMNS} FROM transactions {clause}{order} LIMIT {PAGE_SIZE + 1}{tail}", args


def fetch(conn: Any, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    try:
        cur.execute(sql, args)
        return list(cur.fetchall())
    finally:
        cur.close()


def _uuids(rows: list[Any]) -> list[str]:
    return [r[0] for r in rows[:PAGE_SIZE]]


def _page_floor(
    sql: Sql, where: list[str], args: list[Any], offset: int = 0, *, sort_matches: bool = False
) -> Callable[[Any], list[str]]:
    statement, params = sql.page(where, args, offset, sort_matches=sort_matches)
    return lambda conn: _uuids(fetch(conn, statement, params))


def _keyset_floor(sql: Sql, cursor_id: int) -> Callable[[Any], list[str]]:
    """The page after row ``cursor_id``, the way one pages on the raw driver.

    The cursor is the previous page's last ``(created_at, id)`` exactly as the
    driver returned it (read once, untimed), bound back unchanged.
    """
    m = sql.mark
    statement, _ = sql.page([f"(created_at, id) < ({m}, {m})"], [])
    cursor: list[Any] = []

    def floor(conn: Any) -> list[str]:
        if not cursor:
            last = f"SELECT created_at, id FROM transactions WHERE id = {m}"
            cursor.extend(fetch(conn, last, [cursor_id])[0])
        return _uuids(fetch(conn, statement, cursor))

    return floor


def _page_service(ctx: Context, filters: search.SearchFilters, **kw: Any) -> Callable[[], list[str]]:
    return lambda: [r.uuid for r in search.search_page(ctx, filters, actor=SYSTEM, **kw).rows]


def finding_queries(ctx: Context, p: Params) -> list[tuple[str, str, str, bool]]:
    """The finding rules of migration 0009, on values of the probe row: (name, title, text,
    whether its matches are few, so that PostgreSQL's best plan sorts them)."""
    with ctx.db.engine.connect() as conn:
        holder, email = conn.execute(
            text("SELECT holder_lc, customer_email FROM transactions WHERE uuid = :u"), {"u": p.uuid}
        ).one()
    surname = (holder or "x").split(" ", 1)[-1]
    domain = (email or "x@x").split("@", 1)[1]
    return [
        ("txid_any_case", "Transaction ID, other case", p.transaction_id.swapcase(), True),
        ("txid_prefix", "Transaction ID prefix", p.transaction_id[:-2], True),
        ("uuid_prefix", "UUID prefix (8 characters)", p.uuid[:8], True),
        ("surname", "Surname alone", surname.title(), False),
        ("email_domain", "E-mail domain (@domain)", f"@{domain}", False),
    ]


def search_workloads(ctx: Context, p: Params, dialect: str) -> list[Workload]:
    sql = Sql(dialect)
    m = sql.mark
    F = search.parse_filters
    out: list[Workload] = []

    def add(
        name: str,
        title: str,
        filters: search.SearchFilters,
        where: list[str],
        args: list[Any],
        sort: bool = False,
    ) -> None:
        floor = _page_floor(sql, where, args, sort_matches=sort)
        out.append(Workload(name, title, "search", _page_service(ctx, filters), floor))

    cond, args = sql.text(p.uuid)
    add("uuid", "Exact UUID", F(text=p.uuid), [cond], args)
    cond, args = sql.text(p.transaction_id)
    # Prefix-shaped texts match few rows here: their best plan on PostgreSQL sorts the matches.
    add("transaction_id", "Exact Transaction ID", F(text=p.transaction_id), [cond], args, sort=True)
    cond, args = sql.text(p.last4)
    add(
        "last4_30d",
        "Last 4 digits + 30 days",
        F(text=p.last4, date_from=p.last4_from, date_to=p.last4_to),
        [cond, f"created_at >= {m}", f"created_at < {m}"],
        [*args, sql.ts(p.last4_from), sql.ts(p.last4_to)],
    )
    add(
        "merchant_status_7d",
        "Merchant + status + 7 days",
        F(merchant=p.merchant, statuses=[p.status], date_from=p.week_from),
        [f"merchant = {m}", f"status = {m}", f"created_at >= {m}"],
        [p.merchant, p.status, sql.ts(p.week_from)],
    )
    add(
        "amount_currency",
        "Amount range + currency",
        F(currency=p.currency, min_amount=p.min_amount, max_amount=p.max_amount),
        [f"currency = {m}", f"{sql.amount} >= {m}", f"{sql.amount} <= {m}"],
        [p.currency, p.min_minor, p.max_minor],
    )
    cond, args = sql.text(p.email_prefix)
    add("email_prefix", "Customer e-mail prefix", F(text=p.email_prefix), [cond], args, sort=True)
    for name, title, query, few in finding_queries(ctx, p):
        # Few matches: read through the indexes and sort them; many: read in date order.
        cond, args = sql.text(query, indexed=few)
        add(name, title, F(text=query), [cond], args, sort=few)
    add("first_page", "First page of everything (by date)", F(), [], [])
    everything = F()
    cursor = search.encode_cursor(p.deep_cursor_at, p.deep_cursor_id)
    page = p.deep_offset // PAGE_SIZE + 1
    out.append(
        Workload(
            "deep_keyset",
            f"Page {page}, keyset (cursor)",
            "search",
            _page_service(ctx, everything, after=cursor, page=page),
            _keyset_floor(sql, p.deep_cursor_id),
        )
    )
    out.append(
        Workload(
            "deep_offset",
            f"Page {page}, OFFSET",
            "search",
            _page_service(ctx, everything, page=page),
            _page_floor(sql, [], [], offset=p.deep_offset),
        )
    )
    month = F(date_from=p.month_from)
    count_sql = (
        f"SELECT count(*) FROM (SELECT id FROM transactions WHERE created_at >= {m} LIMIT {COUNT_CAP + 1}) s"
    )
    out.append(
        Workload(
            "count_30d",
            "Total count, 30-day filter (capped at 100,000)",
            "search",
            lambda: [str(search.count_matches(ctx, month, actor=SYSTEM).value)],
            lambda conn: [str(min(fetch(conn, count_sql, [sql.ts(p.month_from)])[0][0], COUNT_CAP))],
        )
    )
    return out


def details_workload(ctx: Context, p: Params, dialect: str) -> Workload:
    """show_transaction + transaction_history; the floor reads the same rows with plain queries."""
    m = Sql(dialect).mark
    history = _history_function()

    def service() -> list[str]:
        details = show_transaction(ctx, p.details_uuid, actor=SYSTEM)
        entries = history(ctx, p.details_uuid, actor=SYSTEM) if history else []
        return [details.transaction.uuid, *sorted(c.uuid for c in details.children), str(len(entries))]

    def floor(conn: Any) -> list[str]:
        row = fetch(conn, f"SELECT * FROM transactions WHERE uuid = {m}", [p.details_uuid])[0]
        kids = fetch(
            conn,
            f"SELECT * FROM transactions WHERE parent_uuid = {m} ORDER BY created_at, id",
            [p.details_uuid],
        )
        parent_uuid = row[4]
        if parent_uuid:
            fetch(conn, f"SELECT * FROM transactions WHERE uuid = {m}", [parent_uuid])
        audit = fetch(
            conn,
            f"SELECT * FROM audit_log WHERE parent_uuid = {m} OR child_uuid = {m} ORDER BY seq",
            [p.details_uuid, p.details_uuid],
        )
        return [row[1], *sorted(k[1] for k in kids), str(len(audit))]

    return Workload("details", "Details: chain, balances and history", "other", service, floor)


def _history_function() -> Callable[..., list[Any]] | None:
    try:
        from bo_core.services.history import transaction_history
    except ImportError:
        return None
    return transaction_history


def export_workload(ctx: Context, p: Params, dialect: str, out_dir: Path) -> Workload:
    """CSV export of the newest ~100,000 rows, to a file."""
    sql = Sql(dialect)
    filters = search.parse_filters(date_from=p.export_from)
    target = out_dir / "export.csv"
    statement = f"SELECT {COLUMNS} FROM transactions WHERE created_at >= {sql.mark} {ORDER}"

    def service() -> list[str]:
        with target.open("w", newline="") as fh:
            return [str(search.export_csv(ctx, filters, fh, actor=SYSTEM))]

    def floor(conn: Any) -> list[str]:
        cur = conn.cursor()
        written = 0
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(search.CSV_HEADER)
            cur.execute(statement, [sql.ts(p.export_from)])
            while batch := cur.fetchmany(5000):
                writer.writerows(batch)
                written += len(batch)
        cur.close()
        return [str(written)]

    return Workload(
        f"export_{EXPORT_ROWS // 1000}k", "CSV export (~100,000 rows)", "other", service, floor, 5
    )
