"""The measured database: built once with the demo generator, reused while its size is right."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from bo_core.config import Settings, normalize_url
from bo_core.db import migrate
from bo_core.db.models import TransactionRow
from bo_core.db.uow import Database
from bo_core.demo import generate_demo
from bo_core.domain.permissions import load_roles
from bo_core.domain.types import Source
from bo_core.services.context import Context

OUT_DIR = Path(__file__).resolve().parent / "out"
SEED = 42


def default_sqlite_url(rows: int) -> str:
    return f"sqlite:///{OUT_DIR / f'bench-{rows}.sqlite3'}"


def open_bench_context(url: str) -> Context:
    settings = Settings(database_url=normalize_url(url), roles=load_roles(None))
    db = Database(settings.database_url)
    migrate.upgrade(db.engine)
    return Context(db=db, settings=settings)


def generated_rows(ctx: Context) -> int:
    """Rows loaded by the generator (operations run by the harness add back-office rows)."""
    with ctx.db.uow() as uow:
        stmt = (
            select(func.count())
            .select_from(TransactionRow)
            .where(TransactionRow.source != Source.BACK_OFFICE)
        )
        return int(uow.session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class BuildInfo:
    url: str
    rows: int
    reused: bool
    seconds: float


def _drop_everything(url: str) -> None:
    """Empty the benchmark database (a SQLite file is deleted; PostgreSQL tables are dropped)."""
    url = normalize_url(url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    db = Database(url)
    try:
        names = inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            conn.execute(text("DROP FUNCTION IF EXISTS bo_audit_append_only() CASCADE"))
    finally:
        db.dispose()


def prepare(
    url: str, rows: int, *, rebuild: bool = False, log: Callable[[str], object] = print
) -> tuple[Context, BuildInfo]:
    """Open ``url`` holding exactly ``rows`` generated transactions, building it if needed."""
    if rebuild:
        _drop_everything(url)
    ctx = open_bench_context(url)
    have = generated_rows(ctx)
    if have == rows:
        return ctx, BuildInfo(url=ctx.settings.database_url, rows=rows, reused=True, seconds=0.0)
    if have:
        log(f"database holds {have} generated rows, not {rows}: rebuilding")
        ctx.db.dispose()
        _drop_everything(url)
        ctx = open_bench_context(url)
    log(f"building {rows:,} demo transactions (seed {SEED}) …")
    started = time.perf_counter()
    step = max(rows // 10, 1)

    def progress(done: int) -> None:
        if done % step < 5000:
            print(f"  {done:,} rows", file=sys.stderr, flush=True)

    generate_demo(ctx, rows, seed=SEED, progress=progress if rows >= 100_000 else None)
    _analyze(ctx)
    seconds = time.perf_counter() - started
    log(f"built in {seconds:.1f} s")
    return ctx, BuildInfo(url=ctx.settings.database_url, rows=rows, reused=False, seconds=seconds)


def _analyze(ctx: Context) -> None:
    """Planner statistics, as an operator runs after a bulk load."""
    if ctx.db.is_sqlite:
        with ctx.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE transactions")
