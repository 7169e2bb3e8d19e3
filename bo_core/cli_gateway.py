"""`bo gateway ...`, `bo webhooks serve` and `bo import transactions`: the gateway commands.

Registered by ``bo_core.cli.build_parser`` through ``add_commands``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


def parse_moment(value: str, option: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO datetime (UTC if naive)."""
    raw = value.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(0), UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(option, f"{value[:40]!r} is not a date (YYYY-MM-DD or ISO datetime)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bo_core.gateway.sandbox.server import serve

    config = {
        "token": args.token or os.environ.get("BO_GATEWAY_TOKEN") or "sandbox-token",
        "webhook_url": args.webhook_url or os.environ.get("BO_SANDBOX_WEBHOOK_URL"),
        "webhook_secret": os.environ.get("BO_WEBHOOK_SECRET"),
        "entities": args.entity or None,
    }
    serve(args.host, args.port, Path(args.state) if args.state else None, config)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from bo_core.services.gateway_reconcile import reconcile

    report = reconcile(_context(), args.older_than, actor=SYSTEM)
    if args.json:
        _emit(report.to_dict())
    else:
        print(
            f"checked {report.checked}, resolved {len(report.resolved)}, still pending {report.still_pending}"
        )
        for change in report.resolved:
            print(
                f"  {change['attempt_uuid']} -> {change['uuid']} {change['status']} {change['result_code']}"
            )
        for error in report.errors:
            print(f"  error: {error}", file=sys.stderr)
    return 0 if not report.errors else 1


def cmd_import(args: argparse.Namespace) -> int:
    from bo_core.services.gateway_import import import_window

    date_from = parse_moment(args.date_from, "--from")
    date_to = parse_moment(args.date_to, "--to") if args.date_to else datetime.now(UTC)
    tty = sys.stderr.isatty()

    def progress(line: str) -> None:
        if tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    report = import_window(_context(), date_from, date_to, actor=SYSTEM, progress=progress)
    if tty:
        print(file=sys.stderr)
    data = report.to_dict()
    if args.json:
        _emit(data)
    else:
        print(
            f"added {data['added']}, updated {data['updated']}, unchanged {data['unchanged']}, "
            f"skipped {data['skipped']} ({data['records']} records, {data['pages']} pages, "
            f"{data['seconds']} s)"
        )
    return 0


def cmd_webhooks_serve(args: argparse.Namespace) -> int:
    from bo_core.gateway.webhook_app import serve

    ctx = _context()
    if not ctx.settings.gateway.is_opp:
        raise InputError("BO_GATEWAY", "the webhook receiver needs BO_GATEWAY=opp and BO_WEBHOOK_SECRET")
    from bo_core.security.audit_key import configured_key_problem

    key_problem = None if ctx.settings.demo_mode else configured_key_problem()
    if key_problem:  # the receiver writes audit records: production needs the chains' key
        raise InputError("BO_AUDIT_KEY", key_problem)
    print(f"webhook receiver on http://{args.host}:{args.port}/webhooks/opp", flush=True)
    serve(ctx, args.host, args.port)
    return 0


def cmd_import_csv(args: argparse.Namespace) -> int:
    from bo_core.services.csv_import import import_csv

    report = import_csv(_context(), Path(args.file), actor=SYSTEM, dry_run=args.dry_run)
    if args.json:
        _emit(report.to_dict())
    else:
        verb = "would add" if args.dry_run else "added"
        print(f"{verb} {report.added}, unchanged {report.unchanged}, bad lines {len(report.errors)}")
        for error in report.errors[:100]:
            print(f"  {error}", file=sys.stderr)
    return 0 if not report.errors else 2


def add_commands(sub: Any) -> None:
    gateway = sub.add_parser("gateway", help="the payment gateway (BO_GATEWAY=opp)").add_subparsers(
        dest="gateway_command", required=True
    )
    sandbox = gateway.add_parser("sandbox", help="run a local gateway for tests and demos")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--state", metavar="FILE", help="keep the sandbox's transactions in this JSON file")
    sandbox.add_argument("--token", help="the Bearer token it accepts (default: BO_GATEWAY_TOKEN)")
    sandbox.add_argument("--entity", action="append", help="an entity the token may use (default: any)")
    sandbox.add_argument(
        "--webhook-url", help="where notifications are sent (encrypted with BO_WEBHOOK_SECRET)"
    )
    sandbox.set_defaults(func=cmd_sandbox)

    rec = gateway.add_parser("reconcile", help="resolve pending operations by asking the gateway")
    rec.add_argument("--older-than", type=float, default=600, metavar="SECONDS")
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(func=cmd_reconcile)

    imp = gateway.add_parser("import", help="import the gateway's transactions of a time window")
    imp.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    imp.add_argument("--to", dest="date_to", metavar="DATE")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    hooks = sub.add_parser("webhooks", help="gateway notifications").add_subparsers(
        dest="webhooks_command", required=True
    )
    serve = hooks.add_parser("serve", help="run the notification receiver (POST /webhooks/opp)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8091)
    serve.set_defaults(func=cmd_webhooks_serve)

    importing = sub.add_parser("import", help="load transactions from files").add_subparsers(
        dest="import_command", required=True
    )
    csv_cmd = importing.add_parser("transactions", help="load a CSV written by the Transactions export")
    csv_cmd.add_argument("file", metavar="FILE.csv")
    csv_cmd.add_argument("--dry-run", action="store_true")
    csv_cmd.add_argument("--json", action="store_true")
    csv_cmd.set_defaults(func=cmd_import_csv)
