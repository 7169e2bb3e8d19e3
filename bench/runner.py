"""One harness run on one backend: build or reuse the data, then measure every workload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

from bench import explain
from bench.database import OUT_DIR, BuildInfo, default_sqlite_url, prepare
from bench.machine import Machine, current_machine, load_average
from bench.operations import OpsResult, ensure_operator, run_operations
from bench.params import Params, pick
from bench.scoped import scoped_workloads
from bench.stats import Timing, measure
from bench.workloads import Workload, details_workload, export_workload, search_workloads
from bo_core.config import normalize_url
from bo_core.services.context import Context

ROOT = Path(__file__).resolve().parents[1]
MEMORY_REFERENCE_ROWS = 10_000


@dataclass
class Options:
    rows: int
    database_url: str | None = None
    repeat: int = 30
    naive_repeat: int = 3
    ops: int = 1000
    concurrent_workers: int = 8
    page_repeat: int = 10
    memory_runs: int = 12
    rebuild: bool = False
    skip_naive: bool = False
    skip_pages: bool = False
    out: Path | None = None
    command: str = ""


@dataclass
class WorkloadResult:
    name: str
    title: str
    kind: str
    service: Timing
    floor: Timing
    same_rows: bool
    result: str
    plan: str
    naive: Timing | None = None


@dataclass
class BackendReport:
    backend: str
    options: Options
    machine: Machine
    build: BuildInfo
    total_rows: int
    started: datetime
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    workloads: list[WorkloadResult] = field(default_factory=list)
    naive_read: Timing | None = None
    naive_peak_rss_mb: float | None = None
    naive_base_rss_mb: float | None = None
    ops: list[OpsResult] = field(default_factory=list)
    pages: dict[str, Any] | None = None
    pages_problem: str | None = None
    memory: dict[int, dict[str, Any]] = field(default_factory=dict)
    memory_problem: str | None = None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _raw_connection(ctx: Context) -> Any:
    proxy = ctx.db.engine.raw_connection()
    driver: Any = proxy.driver_connection
    if not ctx.db.is_sqlite:
        driver.autocommit = True
    return proxy, driver


def _capture(ctx: Context, call: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", before)
    try:
        call()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", before)
    return seen


def _measure_workload(ctx: Context, w: Workload, driver: Any, repeat: int) -> WorkloadResult:
    n = min(repeat, w.max_repeat) if w.max_repeat else repeat
    got = w.service()
    want = w.floor(driver)
    statements = _capture(ctx, w.service)
    plan = explain.plans(ctx, statements)
    service = measure(w.service, n)
    floor = measure(lambda: w.floor(driver), n)
    same = got == want
    if w.kind == "search" or w.name.startswith("export"):
        result = got[0] if w.name.startswith(("count", "export")) else f"{len(got)} rows"
    else:
        result = f"{len(got) - 2} children, {got[-1]} history entries"
    _log(
        f"  {w.name:<20} service p50 {service.p50:8.2f} ms p95 {service.p95:8.2f}"
        f" | floor p95 {floor.p95:8.2f}"
    )
    return WorkloadResult(w.name, w.title, w.kind, service, floor, same, result, plan)


def _subprocess_json(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def _memory_reference_url(url: str, backend: str) -> str:
    """A 10,000-row database next to the measured one (a file, or a schema on the same server)."""
    if backend == "sqlite":
        return default_sqlite_url(MEMORY_REFERENCE_ROWS)
    schema = f"bench_{MEMORY_REFERENCE_ROWS}"
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{normalize_url(url)}{sep}options=-csearch_path%3D{schema}"


def run(opts: Options) -> BackendReport:
    url = opts.database_url or default_sqlite_url(opts.rows)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    machine = current_machine()
    started = datetime.now(UTC)
    ctx, build = prepare(url, opts.rows, rebuild=opts.rebuild, log=_log)
    backend = "sqlite" if ctx.db.is_sqlite else "postgresql"
    dialect = ctx.db.engine.dialect.name
    with ctx.db.engine.connect() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM transactions")).scalar_one())
    report = BackendReport(backend, opts, machine, build, total, started)
    params = pick(ctx)
    _log(f"{backend}: {total:,} rows; measuring (repeat {opts.repeat})")

    proxy, driver = _raw_connection(ctx)
    try:
        work = [*search_workloads(ctx, params, dialect), *scoped_workloads(ctx, params, dialect)]
        work.append(details_workload(ctx, params, dialect))
        work.append(export_workload(ctx, params, dialect, OUT_DIR))
        report.workloads = [_measure_workload(ctx, w, driver, opts.repeat) for w in work]
    finally:
        proxy.invalidate()
    if not opts.skip_naive:
        _naive(report, ctx, params, opts)
    _operations(report, ctx, opts)
    if not opts.skip_pages:
        _pages(report, ctx, url, params, opts)
    report.load_after = load_average()
    ctx.db.dispose()
    return report


def _naive(report: BackendReport, ctx: Context, params: Params, opts: Options) -> None:
    _log(f"naive reference: whole table into pandas, {opts.naive_repeat} times")
    data = _subprocess_json(
        ["-m", "bench.naive", ctx.settings.database_url, json.dumps(params.to_json()), str(opts.naive_repeat)]
    )
    report.naive_read = Timing(tuple(data["read_ms"]))
    report.naive_peak_rss_mb = data["peak_rss_mb"]
    report.naive_base_rss_mb = data["base_rss_mb"]
    for w in report.workloads:
        if w.name in data["totals_ms"]:
            w.naive = Timing(tuple(data["totals_ms"][w.name]))


def _operations(report: BackendReport, ctx: Context, opts: Options) -> None:
    _log(f"operations: {opts.ops} refunds, sequential")
    report.ops.append(run_operations(ctx, opts.ops, workers=1))
    if report.backend == "postgresql":
        _log(f"operations: {opts.ops} refunds, {opts.concurrent_workers} workers")
        report.ops.append(run_operations(ctx, opts.ops, workers=opts.concurrent_workers))


def _pages(report: BackendReport, ctx: Context, url: str, params: Params, opts: Options) -> None:
    user = ensure_operator(ctx)
    db_url = ctx.settings.database_url
    _log("pages: AppTest timings")
    try:
        report.pages = _subprocess_json(
            ["-m", "bench.pages", "timing", db_url, user, params.details_uuid, str(opts.page_repeat)]
        )
    except Exception as exc:
        report.pages_problem = str(exc)
    _log("pages: memory of a search session")
    sizes = {opts.rows: db_url}
    if opts.rows > MEMORY_REFERENCE_ROWS:
        ref_url = _memory_reference_url(url, report.backend)
        ref_ctx, _ = prepare(ref_url, MEMORY_REFERENCE_ROWS, log=_log)
        ensure_operator(ref_ctx)
        ref_ctx.db.dispose()
        sizes = {MEMORY_REFERENCE_ROWS: ref_url, **sizes}
    try:
        for rows, size_url in sizes.items():
            report.memory[rows] = _subprocess_json(
                ["-m", "bench.pages", "memory", size_url, user, str(opts.memory_runs)]
            )
    except Exception as exc:
        report.memory_problem = str(exc)
