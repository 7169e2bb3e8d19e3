"""`bo audit verify | anchor | events` and `bo db grant`: the trails and the database roles."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError

EXIT_OK, EXIT_REFUSED = 0, 1


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from bo_core.services.trail_check import verify_trails

    anchor = None
    if args.anchor is not None:
        from bo_core.services.anchor import parse_anchor

        try:
            text = Path(args.anchor).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError("--anchor", f"cannot read {args.anchor}: {exc.strerror}") from None
        anchor = parse_anchor(text)
    report = verify_trails(_context(), actor=SYSTEM, anchor=anchor)
    if args.json:
        _emit(report.to_dict())
    else:
        print("\n".join(report.lines()))
    return EXIT_OK if report.ok else EXIT_REFUSED


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from bo_core.services.anchor import audit_anchor

    print(audit_anchor(_context(), actor=SYSTEM).to_json())
    return EXIT_OK


def cmd_audit_events(args: argparse.Namespace) -> int:
    from bo_core.services.security_log import list_events, parse_event_filters

    filters = parse_event_filters(args.user, args.kind, args.since, args.until, args.limit)
    actor = SYSTEM if args.as_user is None else args.as_user
    found = list_events(_context(), filters, actor=actor)
    if args.json:
        _emit([e.to_dict() for e in found])
    else:
        for e in found:
            details = json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else ""
            print(
                f"{e.seq}\t{e.at.isoformat()}\t{e.kind}\t{e.user or '-'}\t{e.target or '-'}\t"
                f"{e.channel or '-'}\t{details}"
            )
    return EXIT_OK


def cmd_db_grant(args: argparse.Namespace) -> int:
    from bo_core.config import get_settings
    from bo_core.db.grants import apply_grants, plan_grants
    from bo_core.db.uow import Database

    db = Database(get_settings().database_url)
    try:
        statements = (
            plan_grants(db.engine, args.app_role) if args.print else apply_grants(db.engine, args.app_role)
        )
    finally:
        db.dispose()
    if args.print:
        print("\n".join(f"{s};" for s in statements))
    else:
        print(f"granted {args.app_role} the application's privileges ({len(statements)} statements)")
    return EXIT_OK


def add_audit_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="audit trail integrity and security events").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser(
        "verify", help="check the hash chains of the audit trail and the security events"
    )
    verify.add_argument("--json", action="store_true")
    verify.add_argument(
        "--anchor", metavar="FILE", help="also check the tail anchored earlier (bo audit anchor)"
    )
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit.add_parser("anchor", help="print the chain's tail as one JSON line, to store outside")
    anchor.set_defaults(func=cmd_audit_anchor)
    events = audit.add_parser(
        "events", help="security events, newest first (sign-ins, user changes, exports...)"
    )
    events.add_argument("--user", help="who acted or whom it concerned")
    events.add_argument("--kind")
    events.add_argument("--since", metavar="DATE", help="inclusive: YYYY-MM-DD or ISO datetime (UTC)")
    events.add_argument("--until", metavar="DATE", help="exclusive: YYYY-MM-DD or ISO datetime (UTC)")
    events.add_argument("--limit", type=int, default=200)
    events.add_argument(
        "--as", dest="as_user", metavar="USERNAME", help="read as this user (security:events)"
    )
    events.add_argument("--json", action="store_true")
    events.set_defaults(func=cmd_audit_events)


def add_db_commands(db: Any) -> None:
    grant = db.add_parser("grant", help="grant the application role only what it needs (PostgreSQL)")
    grant.add_argument("--app-role", required=True, metavar="NAME")
    grant.add_argument("--print", action="store_true", help="print the statements instead of running them")
    grant.set_defaults(func=cmd_db_grant)
