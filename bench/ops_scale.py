"""Operations at scale: bulk-file throughput (dry run and real run) and the chargeback-ratio query.

``.venv/bin/python -m bench.ops_scale --rows 1000000 [--database-url postgresql:///bo_bench]``

Uses the harness's database (built once by ``bench.database.prepare``), takes fresh
refundable debits for each run, and prints a Markdown table (also written as JSON
under ``bench/out/``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.database import OUT_DIR, default_sqlite_url, prepare
from bench.operations import OPERATOR, ensure_operator, refundable_parents
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.money import minor_to_str
from bo_core.services import bulk, risk
from bo_core.services.context import Context


def refund_file(parents: list[tuple[str, str]]) -> bytes:
    lines = [f"{uuid},refund,{minor_to_str(1, currency)}" for uuid, currency in parents]
    return ("parent_uuid,operation,amount\n" + "\n".join(lines) + "\n").encode()


def time_bulk(ctx: Context, lines: int) -> dict[str, Any]:
    ensure_operator(ctx)
    data = refund_file(refundable_parents(ctx, lines))
    started, cpu = time.perf_counter(), time.process_time()
    dry = bulk.run_file(ctx, data, "bench-dry.csv", OPERATOR, dry_run=True, max_lines=lines)
    dry_s, dry_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    real = bulk.run_file(ctx, data, "bench.csv", OPERATOR, dry_run=False, max_lines=lines)
    real_s, real_cpu = time.perf_counter() - started, time.process_time() - cpu
    booked = real.summary.counts.get("success", 0)
    return {
        "lines": len(real.lines),
        "dry_run_seconds": round(dry_s, 2),
        "dry_run_lines_per_second": round(len(dry.lines) / dry_s, 1),
        "would_succeed": dry.summary.counts.get("would_succeed", 0),
        "run_seconds": round(real_s, 2),
        "run_lines_per_second": round(len(real.lines) / real_s, 1),
        "booked": booked,
        # This process's CPU time (SQLite runs in-process; PostgreSQL's server time is not in it):
        # on a loaded shared machine the wall-clock figures above are far slower than an idle one.
        "dry_run_cpu_seconds": round(dry_cpu, 2),
        "run_cpu_seconds": round(real_cpu, 2),
        "run_lines_per_cpu_second": round(len(real.lines) / real_cpu, 1),
    }


def time_risk(ctx: Context, repeat: int) -> dict[str, Any]:
    month = ctx.now().date().replace(day=1)
    one: list[float] = []
    twelve: list[float] = []
    rows = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(risk.chargeback_ratios(ctx, month, actor=SYSTEM))
        one.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        risk.watch(ctx, month, months=12, actor=SYSTEM)
        twelve.append((time.perf_counter() - t0) * 1000)
    return {
        "month": f"{month:%Y-%m}",
        "result_rows": rows,
        "one_month_ms_median": round(statistics.median(one), 1),
        "one_month_ms_max": round(max(one), 1),
        "twelve_months_ms_median": round(statistics.median(twelve), 1),
        "twelve_months_ms_max": round(max(twelve), 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ops_scale", description=__doc__)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--database-url")
    p.add_argument("--lines", type=int, default=10_000, help="lines of the refund file (default 10000)")
    p.add_argument("--repeat", type=int, default=5, help="runs of the ratio queries (default 5)")
    p.add_argument("--skip-bulk", action="store_true")
    a = p.parse_args(argv)
    url = a.database_url or default_sqlite_url(a.rows)
    ctx, _build = prepare(url, a.rows)
    backend = "sqlite" if ctx.db.is_sqlite else "postgresql"
    result: dict[str, Any] = {
        "backend": backend,
        "load_average_1min": os.getloadavg()[0],
        "rows": a.rows,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "risk": time_risk(ctx, a.repeat),
    }
    if not a.skip_bulk:
        result["bulk"] = time_bulk(ctx, a.lines)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"ops-scale-{backend}-{a.rows}.json").write_text(json.dumps(result, indent=2))
    r = result["risk"]
    print(
        f"| {backend} | {a.rows:,} rows | ratio query, one month: {r['one_month_ms_median']} ms median "
        f"(max {r['one_month_ms_max']}) | twelve months: {r['twelve_months_ms_median']} ms median |"
    )
    if "bulk" in result:
        b = result["bulk"]
        print(
            f"| {backend} | {b['lines']:,}-line refund file | dry run {b['dry_run_seconds']} s "
            f"({b['dry_run_lines_per_second']} lines/s) | run {b['run_seconds']} s "
            f"({b['run_lines_per_second']} lines/s), {b['booked']:,} booked |"
        )
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
