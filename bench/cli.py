"""``python -m bench``: measure one backend and write its section of the performance report."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench import report
from bench.runner import Options, run

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--rows", type=int, required=True, help="generated transactions in the database")
    p.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file under bench/out/)")
    p.add_argument("--repeat", type=int, default=30, help="measured runs per workload (default 30)")
    p.add_argument("--naive-repeat", type=int, default=3, help="runs of the pandas reference (default 3)")
    p.add_argument("--ops", type=int, default=1000, help="operations per throughput run (default 1000)")
    p.add_argument("--workers", type=int, default=8, help="concurrent workers on PostgreSQL (default 8)")
    p.add_argument("--page-repeat", type=int, default=10, help="runs per page timing (default 10)")
    p.add_argument("--memory-runs", type=int, default=12, help="page runs in the memory session (default 12)")
    p.add_argument("--rebuild", action="store_true", help="regenerate the data even if it is there")
    p.add_argument("--skip-naive", action="store_true", help="leave out the pandas reference")
    p.add_argument("--skip-pages", action="store_true", help="leave out the page timings and memory")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report file (default docs/PERFORMANCE.md)")
    a = p.parse_args(argv)
    if a.rows < 1 or a.repeat < 1 or a.naive_repeat < 1 or a.ops < 1 or a.workers < 1:
        p.error("--rows, --repeat, --naive-repeat, --ops and --workers must be positive")
    return Options(
        rows=a.rows,
        database_url=a.database_url,
        repeat=a.repeat,
        naive_repeat=a.naive_repeat,
        ops=a.ops,
        concurrent_workers=a.workers,
        page_repeat=a.page_repeat,
        memory_runs=a.memory_runs,
        rebuild=a.rebuild,
        skip_naive=a.skip_naive,
        skip_pages=a.skip_pages,
        out=a.out,
        command=".venv/bin/python -m bench " + shlex.join(argv),
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse(sys.argv[1:] if argv is None else argv)
    result = run(opts)
    assert opts.out is not None
    report.write(opts.out, result)
    print(f"wrote the {report.TITLES[result.backend]} section of {opts.out}")
    wrong = report.wrong_rows(result)
    if wrong:
        print(f"error: the service's rows differ from the floor's in: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0
