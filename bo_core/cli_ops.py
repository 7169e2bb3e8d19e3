"""`bo bulk ...` and `bo analytics ...`: registered by ``bo_core.cli.build_parser``.

Exit codes as everywhere: 0 when every line was decided (refusals included),
1 refused or not found, 2 for a malformed file or bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.bulk_file import MalformedBulkFile
from bo_core.domain.errors import InputError

EXIT_OK, EXIT_USAGE = 0, 2


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


class _TerminalProgress:
    """Progress on stderr: a rewritten line on a terminal, a line per tenth otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{done}/{total} lines decided", end=end, file=sys.stderr, flush=True)
            return
        tenth = done * 10 // max(total, 1)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            print(f"{done}/{total} lines decided", file=sys.stderr, flush=True)


def _print_report(report: Any, as_json: bool, *, header_printed: bool) -> None:
    if as_json:
        _emit(report.to_dict())
        return
    if not header_printed:
        print(report.run_id)
    for r in report.lines:
        uuid = f" {r.uuid}" if r.uuid else ""
        print(f"line {r.line}: {r.outcome} [{r.result_code}] {r.message}{uuid}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.summary.counts.items()) if v)
    totals = ", ".join(f"{amount} {cur}" for cur, amount in report.totals.items()) or "-"
    print(f"status {report.summary.status}: {counts}; accepted totals: {totals}")


def cmd_bulk_run(args: argparse.Namespace) -> int:
    from bo_core.services import bulk

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("FILE", f"cannot read {args.file}: {exc.strerror}") from None
    ctx = _context()
    max_lines = args.max_lines if args.max_lines is not None else bulk.max_lines_setting()
    run_id = bulk.start_run(ctx, data, path.name, args.as_user, dry_run=args.dry_run, max_lines=max_lines)
    if not args.json:
        print(run_id, flush=True)  # the first line: the run id alone, before any line runs
    report = bulk.execute(ctx, run_id, args.as_user, _TerminalProgress())
    _print_report(report, args.json, header_printed=True)
    return EXIT_OK


def cmd_bulk_resume(args: argparse.Namespace) -> int:
    from bo_core.services import bulk

    if not args.json:
        print(args.run_id, flush=True)
    report = bulk.execute(_context(), args.run_id, args.as_user, _TerminalProgress())
    _print_report(report, args.json, header_printed=True)
    return EXIT_OK


def cmd_bulk_show(args: argparse.Namespace) -> int:
    from bo_core.services import bulk_store

    report = bulk_store.read_report(_context(), args.run_id, actor=SYSTEM)
    if args.csv:
        sys.stdout.write(report.result_csv())
    else:
        _print_report(report, args.json, header_printed=False)
    return EXIT_OK


def cmd_bulk_list(args: argparse.Namespace) -> int:
    from bo_core.services import bulk_store

    runs = bulk_store.list_runs(_context(), actor=SYSTEM)
    if args.json:
        _emit([r.to_dict() for r in runs])
        return EXIT_OK
    for r in runs:
        kind = "dry-run" if r.dry_run else "run"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()) if v)
        print(
            f"{r.run_id}  {r.created_at:%Y-%m-%d %H:%M}  {r.username:<12} {kind:<7} {r.status:<8} "
            f"{r.file_name}  ({counts})"
        )
    return EXIT_OK


def cmd_analytics_chargebacks(args: argparse.Namespace) -> int:
    from bo_core.services import risk

    month = risk.parse_month(args.month)
    rows = risk.chargeback_ratios(_context(), month, merchant=args.merchant, actor=SYSTEM)
    if args.json:
        _emit([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        ratio = "    n/a" if r.ratio is None else f"{r.ratio * 100:7.3f}"
        print(
            f"{r.merchant:<24} {r.scheme:<10} {r.month}  {r.chargebacks:>6} / {r.sales:<8} "
            f"{ratio} %  threshold {r.threshold * 100:.2f} %  {r.status}"
        )
    return EXIT_OK


def handle_malformed(exc: MalformedBulkFile, as_json: bool) -> int:
    if as_json:
        problems = [{"line": p.line, "column": p.column, "reason": p.reason} for p in exc.problems]
        _emit({"error": "malformed file", "result_code": exc.result_code, "problems": problems})
    print(f"bo: the file is malformed; nothing was run ({len(exc.problems)} problem(s)):", file=sys.stderr)
    for p in exc.problems:
        print(f"  {p}", file=sys.stderr)
    return EXIT_USAGE


def register(sub: Any) -> None:
    """Add the ``bulk`` and ``analytics`` commands to the ``bo`` parser."""
    bulk = sub.add_parser("bulk", help="bulk operations from a CSV file").add_subparsers(
        dest="bulk_command", required=True
    )
    run = bulk.add_parser("run", help="run every line of FILE (no confirmation step)")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--as", dest="as_user", metavar="USER", required=True)
    run.add_argument("--dry-run", action="store_true", help="decide every line, book nothing")
    run.add_argument(
        "--max-lines", type=int, default=None, help="most data lines accepted (BO_BULK_MAX_LINES, 10000)"
    )
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_bulk_run)
    show = bulk.add_parser("show", help="a run's lines and totals")
    show.add_argument("run_id", metavar="RUN_ID")
    fmt = show.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true", help="the result file")
    show.set_defaults(func=cmd_bulk_show)
    resume = bulk.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("run_id", metavar="RUN_ID")
    resume.add_argument("--as", dest="as_user", metavar="USER", required=True)
    resume.add_argument("--json", action="store_true")
    resume.set_defaults(func=cmd_bulk_resume)
    lst = bulk.add_parser("list", help="bulk runs, newest first")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_bulk_list)

    analytics = sub.add_parser("analytics", help="risk analytics").add_subparsers(
        dest="analytics_command", required=True
    )
    cb = analytics.add_parser("chargebacks", help="chargeback ratios per merchant and card scheme")
    cb.add_argument("--month", required=True, metavar="YYYY-MM")
    cb.add_argument("--merchant")
    cb.add_argument("--json", action="store_true")
    cb.set_defaults(func=cmd_analytics_chargebacks)
