"""Deterministic demo data: realistic payment chains and one demo user per role.

``generate_demo`` writes exactly ``transactions`` rows in one database
transaction (bulk inserts on SQLite, ``COPY`` on PostgreSQL), streaming them in
batches so memory stays flat at any size. The same seed and ``now`` always give
the same rows (UUIDs, amounts, timestamps). The chain rules are described in
``bo_core.demo.chains``.

Demo users (``create_demo_users``), all marked ``is_demo``:

==========  ==========  ===================
username    role        password
==========  ==========  ===================
viewer      viewer      demo-viewer-pass
analyst     analyst     demo-analyst-pass
manager     manager     demo-manager-pass
admin       admin       demo-admin-pass
==========  ==========  ===================
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

import psycopg
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from bo_core.db.bulk import write_rows
from bo_core.db.locks import analyze_transactions
from bo_core.db.models import TransactionRow
from bo_core.demo.chains import ChainFactory, Row
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, NotFound
from bo_core.services import scopes, users
from bo_core.services.context import Context

MAX_TRANSACTIONS = 50_000_000
ANALYZE_FROM_ROWS = 50_000
REBUILD_INDEXES_FROM_ROWS = 100_000

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("viewer", "viewer", "demo-viewer-pass"),
    ("analyst", "analyst", "demo-analyst-pass"),
    ("manager", "manager", "demo-manager-pass"),
    ("admin", "admin", "demo-admin-pass"),
    ("analyst-eu", "analyst", "demo-analyst-eu-pass"),
)
"""(username, role, password) of the demo accounts."""

DEMO_SCOPES: dict[str, tuple[str, ...]] = {"analyst-eu": ("nordwind-apparel", "lumen-streaming")}
"""Merchants of the scoped demo users; the others are assigned to the root ("*")."""


@dataclass
class DemoReport:
    transactions: int
    chains: int
    seed: int
    seconds: float = 0.0
    by_type: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_currency: Counter[str] = field(default_factory=Counter)

    @property
    def rows_per_second(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0


def check_request(transactions: object, seed: object) -> tuple[int, int]:
    if isinstance(transactions, bool) or not isinstance(transactions, int):
        raise InputError("Transactions", "must be a whole number")
    if not 0 <= transactions <= MAX_TRANSACTIONS:
        raise InputError("Transactions", f"must be between 0 and {MAX_TRANSACTIONS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError("Seed", "must be a whole number")
    return transactions, seed


def demo_rows(transactions: int, seed: int, now: datetime, report: DemoReport | None = None) -> Iterator[Row]:
    """Exactly ``transactions`` rows; the last chain is cut short if needed (parents first)."""
    factory = ChainFactory(Random(seed), now)
    left = transactions
    for chain in factory.chains():
        if left <= 0:
            return
        taken = chain[:left]
        if report is not None:
            report.chains += 1
            report.by_type.update(str(row["type"]) for row in taken)
            report.by_status.update(str(row["status"]) for row in taken)
            report.by_currency.update(str(row["currency"]) for row in taken)
        yield from taken
        left -= len(taken)


def write_demo(
    conn: Connection,
    transactions: int,
    seed: int,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Write the demo rows on ``conn`` inside its open transaction (the caller commits)."""
    transactions, seed = check_request(transactions, seed)
    if now.tzinfo is None:
        raise InputError("Now", "must be a timezone-aware datetime")
    started = time.perf_counter()
    report = DemoReport(transactions=0, chains=0, seed=seed)
    rows = demo_rows(transactions, seed, now, report)
    first = next(rows, None)
    if first is None:
        return report
    taken = select(TransactionRow.id).where(TransactionRow.uuid == first["uuid"])
    if conn.execute(taken).first() is not None:
        raise InputError("Seed", f"demo data of seed {seed} is already loaded; choose another seed")
    large = transactions >= REBUILD_INDEXES_FROM_ROWS
    try:
        written = write_rows(conn, itertools.chain([first], rows), progress, large=large)
    except (IntegrityError, psycopg.errors.IntegrityError) as exc:
        raise InputError("Seed", f"demo rows collide with existing transactions: {exc}") from None
    if written >= ANALYZE_FROM_ROWS:
        analyze_transactions(conn)
    report.transactions = written
    report.seconds = time.perf_counter() - started
    return report


def generate_demo(
    ctx: Context,
    transactions: int,
    seed: int = 42,
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Load ``transactions`` demo rows in one database transaction: all of them or none."""
    check_request(transactions, seed)
    with ctx.db.uow(write=True) as uow:
        report = write_demo(uow.session.connection(), transactions, seed, now or ctx.now(), progress)
        uow.commit()
    return report


def create_demo_users(ctx: Context) -> list[tuple[str, str, str]]:
    """Create the missing demo accounts; return ``(username, role, password)`` of those created.

    Existing users of the same name are left alone (whatever their role).
    """
    created: list[tuple[str, str, str]] = []
    for username, role, password in DEMO_USERS:
        if role not in ctx.settings.roles:
            continue
        try:
            users.get_user(ctx, username, actor=SYSTEM)
            continue
        except NotFound:
            pass
        try:
            users.create_user(ctx, username, role, password, name=f"Demo {role}", actor=SYSTEM, demo=True)
        except IntegrityError:
            continue  # created at the same moment by another process
        except InputError as exc:
            if exc.field == "Username":
                continue
            raise
        for merchant in DEMO_SCOPES.get(username, ("*",)):
            scopes.assign(ctx, username, merchant, actor=SYSTEM)
        created.append((username, role, password))
    return created
