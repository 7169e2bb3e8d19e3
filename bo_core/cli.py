"""The `bo` command line: administration and automation over the same services.

Public contract: command names, options and JSON keys are stable (README).
Exit codes: 0 success, 1 refused or not found, 2 usage or input error,
3 outcome unknown at the gateway (``bo run`` in gateway mode), 4 awaiting approval
(``bo run`` above the role's threshold: a second person decides, see ``bo approvals``).

The operator at the command line already holds the database credentials: the
commands act as ``SYSTEM`` (``bo_core.domain.authorization``), except
``bo run --as USER`` and ``bo show --as USER``, which act for that user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bo_core import cli_ops
from bo_core.cli_controls import acting, add_approvals, add_user_scopes
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.bulk_file import MalformedBulkFile
from bo_core.domain.errors import BoError, InputError, NotFound, OperationRefused
from bo_core.domain.types import Operation

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
EXIT_AWAITING_APPROVAL = 4


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


# --- commands ---------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bo_core.config import get_settings
    from bo_core.db import migrate
    from bo_core.db.uow import Database

    db = Database(get_settings().database_url)
    migrate.upgrade(db.engine)
    print(f"database at revision {migrate.current_revision(db.engine)}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from bo_core.demo import create_demo_users, generate_demo

    if args.transactions < 1:
        raise InputError("--transactions", "must be at least 1")
    ctx = _context()
    if args.users:
        from bo_core.security.demo_guard import demo_database_problem

        problem = demo_database_problem(ctx, embedded_only=False)
        if problem:
            raise UsageError(problem.replace("Demo mode", "--users").replace("BO_DEMO_MODE", "--users"))
    started = time.perf_counter()
    report = generate_demo(ctx, args.transactions, seed=args.seed)
    elapsed = time.perf_counter() - started
    created = create_demo_users(ctx) if args.users else []
    if args.users:
        from bo_core.demo.history import write_demo_history

        write_demo_history(ctx, seed=args.seed)
    data = {"report": getattr(report, "__dict__", str(report)), "seconds": round(elapsed, 2)}
    data["users"] = [{"username": u, "role": r} for u, r, _ in created]
    if args.json:
        _emit(data)
    else:
        print(f"loaded demo data in {elapsed:.1f} s: {report}")
        for username, role, password in created:
            print(f"demo user {username} ({role}) password: {password}")
    return EXIT_OK


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    if not line:
        raise InputError("Password", "nothing was read from standard input")
    return line.rstrip("\r\n")


def cmd_users_create(args: argparse.Namespace) -> int:
    from bo_core.services import users

    if args.sso:  # single sign-on only: no local password
        from bo_core.security.sso import provision_user

        user = provision_user(
            _context(), args.username, args.role, name=args.name, email=args.email, actor=SYSTEM
        )
        _print_user(user, args.json)
        return EXIT_OK
    if not args.password_stdin:
        raise UsageError("--password-stdin is required (passwords are never taken as arguments)")
    user = users.create_user(
        _context(),
        args.username,
        args.role,
        _read_password_stdin(),
        name=args.name,
        email=args.email,
        actor=SYSTEM,
    )
    _print_user(user, args.json)
    return EXIT_OK


def _print_user(user: Any, as_json: bool) -> None:
    if as_json:
        _emit(user.to_dict())
    else:
        state = "active" if user.active else "disabled"
        print(f"{user.username}\t{user.role}\t{state}\t{user.name}")


def cmd_users_list(args: argparse.Namespace) -> int:
    from bo_core.services import users

    found = users.list_users(_context(), actor=SYSTEM)
    if args.json:
        _emit([u.to_dict() for u in found])
    else:
        for user in found:
            _print_user(user, False)
    return EXIT_OK


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from bo_core.services import users

    _print_user(users.set_role(_context(), args.username, args.role, actor=SYSTEM), args.json)
    return EXIT_OK


def cmd_users_disable(args: argparse.Namespace) -> int:
    from bo_core.services import users

    _print_user(users.disable_user(_context(), args.username, actor=SYSTEM), args.json)
    return EXIT_OK


def cmd_users_enable(args: argparse.Namespace) -> int:
    from bo_core.services import users

    _print_user(users.enable_user(_context(), args.username, actor=SYSTEM), args.json)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from bo_core.services import search

    filters = search.parse_filters(
        types=tuple(args.type or ()),
        statuses=tuple(args.status or ()),
        date_from=args.date_from,
        date_to=args.date_to,
        merchant=args.merchant,
        currency=args.currency,
        brand=args.brand,
        min_amount=args.min_amount,
        max_amount=args.max_amount,
        text=args.text,
    )
    if not 1 <= args.limit <= 500:
        raise InputError("--limit", "must be between 1 and 500")
    if filters.period_ignored:
        print("note: the text is an identifier; --from/--to are ignored", file=sys.stderr)
    page = search.search_page(_context(), filters, actor=acting(args.as_user), page_size=args.limit)
    rows = [_summary_dict(r) for r in page.rows]
    if args.json:
        _emit(rows)
    else:
        for r in rows:
            print(
                f"{r['created_at']}  {r['uuid']}  {r['type']}  {r['status']:<8}  "
                f"{r['amount']:>12} {r['currency']}  {r['transaction_id']}"
            )
    return EXIT_OK


def _summary_dict(row: Any) -> dict[str, Any]:
    from bo_core.services.export import plain

    data: dict[str, Any] = plain(row)
    data.pop("amount_minor", None)
    return data


def cmd_show(args: argparse.Namespace) -> int:
    from bo_core.services.show import show_transaction

    details = show_transaction(_context(), args.uuid, actor=SYSTEM if args.as_user is None else args.as_user)
    data = details.to_dict()
    if args.json:
        _emit(data)
    else:
        for key in ("uuid", "transaction_id", "type", "status", "result_code", "amount", "currency"):
            print(f"{key:>16}: {data[key]}")
        print(f"{'balances':>16}: {data['balances']}")
        print(f"{'children':>16}: {len(data['children'])}")
        if "available_operations" in data:
            print(f"{'operations':>16}: {', '.join(data['available_operations']) or '-'}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bo_core.services.execute import OperationRequest, run_operation

    request = OperationRequest(
        operation=args.operation,
        parent_uuid=args.uuid,
        username=args.as_user,
        amount=args.amount,
        usage=args.usage,
        transaction_id=args.transaction_id,
        memo=args.memo,
        idempotency_key=args.idempotency_key,
        reason=args.reason,
        reason_note=args.reason_note,
        reason_required=False,  # scripts written before reasons existed keep working
    )
    result = run_operation(_context(), request)
    if args.json:
        _emit(result.to_dict())
    else:
        print(f"{result.outcome}: {result.message} [{result.result_code}]")
        if result.uuid:
            print(f"uuid: {result.uuid}\ntransaction_id: {result.transaction_id}")
    if result.outcome == "unknown":
        return EXIT_UNKNOWN  # gateway mode: pending until the reconciler resolves it
    if result.outcome == "awaiting_approval":
        if not args.json:
            print(f"request_id: {result.request_id}")
        return EXIT_AWAITING_APPROVAL
    return EXIT_OK if result.ok else EXIT_REFUSED


def cmd_history(args: argparse.Namespace) -> int:
    from bo_core.services import history

    filters = history.parse_history_filters(
        date_from=args.date_from,
        date_to=args.date_to,
        username=args.user,
        operation=args.operation,
        outcome=args.outcome,
        merchant=args.merchant,
        currency=args.currency,
        reason=args.reason,
    )
    ctx = _context()
    if args.csv:
        history.export_history_csv(ctx, filters, sys.stdout, actor=acting(args.as_user))
        return EXIT_OK
    entries = history.list_history(ctx, filters, actor=acting(args.as_user), limit=args.limit)
    if args.json:
        _emit([e.to_dict() for e in entries])
    else:
        for e in entries:
            amount = f"{e.amount} {e.currency}" if e.amount else "-"
            print(
                f"{e.created_at}  {e.username:<12} {e.operation:<20} {e.outcome:<8} {amount:>16}  {e.message}"
            )
    return EXIT_OK


# --- parser -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bo", description="Payments back office: administration and automation.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)

    demo = sub.add_parser("demo", help="load deterministic demo transactions")
    demo.add_argument("--transactions", type=int, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=42, metavar="S")
    demo.add_argument("--users", action="store_true", help="also create the demo users")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_demo)

    users = sub.add_parser("users", help="user administration").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", required=True)
    create.add_argument("--name")
    create.add_argument("--email")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.add_argument(
        "--sso", action="store_true", help="signs in only through single sign-on (no password)"
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_users_create)
    ulist = users.add_parser("list", help="list users")
    ulist.add_argument("--json", action="store_true")
    ulist.set_defaults(func=cmd_users_list)
    setrole = users.add_parser("set-role", help="change a user's role")
    setrole.add_argument("username")
    setrole.add_argument("role")
    setrole.add_argument("--json", action="store_true")
    setrole.set_defaults(func=cmd_users_set_role)
    for name, func, text in (
        ("disable", cmd_users_disable, "disable a user (cannot sign in or act)"),
        ("enable", cmd_users_enable, "enable a disabled user"),
    ):
        cmd = users.add_parser(name, help=text)
        cmd.add_argument("username")
        cmd.add_argument("--json", action="store_true")
        cmd.set_defaults(func=func)
    add_user_scopes(users)

    search = sub.add_parser("search", help="search transactions (newest first)")
    search.add_argument("--type", action="append", metavar="T", help="PA, CP, DB, RB, RV, RF, CB, CR")
    search.add_argument("--status", action="append", metavar="S", help="success, pending, rejected")
    search.add_argument("--from", dest="date_from", metavar="DATE")
    search.add_argument("--to", dest="date_to", metavar="DATE")
    search.add_argument("--merchant")
    search.add_argument("--currency")
    search.add_argument("--brand")
    search.add_argument("--min-amount")
    search.add_argument("--max-amount")
    search.add_argument(
        "--text",
        metavar="Q",
        help="UUID or Transaction ID (any case, or a beginning), last 4, e-mail, @domain, holder, surname",
    )
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--as", dest="as_user", metavar="USERNAME", help="apply this user's scope and role")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    show = sub.add_parser("show", help="details of one transaction")
    show.add_argument("uuid")
    show.add_argument("--as", dest="as_user", metavar="USERNAME", help="include available operations")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    run = sub.add_parser(
        "run",
        help="run a back-office operation",
        epilog="bo run --stdin: one JSON object per input line (keys operation, uuid, as, amount, ...), "
        "one JSON result per output line, all in one process (see README).",
    )
    run.add_argument("operation", choices=[o.value for o in Operation])
    run.add_argument("uuid")
    run.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
    run.add_argument("--amount")
    run.add_argument("--usage")
    run.add_argument("--transaction-id")
    run.add_argument("--memo")
    run.add_argument("--reason", help="refund/chargeback: why (BO_OPERATION_REASONS)")
    run.add_argument("--note", dest="reason_note", help="why, in words (required with --reason other)")
    run.add_argument("--idempotency-key")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)

    hist = sub.add_parser("history", help="operation history (audit trail)")
    hist.add_argument("--from", dest="date_from", metavar="DATE")
    hist.add_argument("--to", dest="date_to", metavar="DATE")
    hist.add_argument("--user")
    hist.add_argument("--operation")
    hist.add_argument("--outcome", choices=["success", "refused", "pending", "rejected", "awaiting_approval"])
    hist.add_argument("--merchant")
    hist.add_argument("--currency")
    hist.add_argument("--reason", help="only attempts with this reason (refunds, chargebacks)")
    hist.add_argument("--limit", type=int, default=200)
    hist.add_argument("--as", dest="as_user", metavar="USERNAME", help="apply this user's scope and role")
    fmt = hist.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    hist.set_defaults(func=cmd_history)

    add_approvals(sub)

    from bo_core.cli_audit import add_audit_commands, add_db_commands

    add_audit_commands(sub)  # bo audit verify | anchor | events
    add_db_commands(db)  # bo db grant
    cli_ops.register(sub)  # bo bulk ..., bo analytics ...

    from bo_core.cli_gateway import add_commands

    add_commands(sub)  # gateway, webhooks, import

    from bo_core.cli_security import register

    register(sub, users, _Parser)
    return p


def _fail(code: int, message: str, as_json: bool, result_code: str | None = None) -> int:
    if as_json:
        _emit({"error": message, "result_code": result_code})
    print(f"bo: {message}", file=sys.stderr)
    return code


def _run_stdin(rest: list[str]) -> int:
    """``bo run --stdin [--json]``: the operations come from the input lines (``cli_lines``)."""
    if [a for a in rest if a != "--json"]:
        return _fail(
            EXIT_USAGE, "bo run --stdin takes its operations from the input lines, not arguments", False
        )
    from bo_core.cli_lines import run_lines

    return run_lines(sys.stdin, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    from bo_core.services.origin import Origin, os_user, set_origin

    # Every record this process writes names the command line and the OS user
    # (with --as USER: the command line acting for USER).
    set_origin(Origin("cli", os_user=os_user()))
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["run"] and "--stdin" in given[1:]:
        return _run_stdin([a for a in given[1:] if a != "--stdin"])
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    as_json = bool(getattr(args, "json", False))
    try:
        return func(args)
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc), as_json)
    except MalformedBulkFile as exc:
        return cli_ops.handle_malformed(exc, as_json)
    except InputError as exc:
        return _fail(EXIT_USAGE, exc.message, as_json, exc.result_code)
    except (NotFound, OperationRefused) as exc:
        return _fail(EXIT_REFUSED, exc.message, as_json, exc.result_code)
    except BoError as exc:
        return _fail(EXIT_REFUSED, exc.message, as_json, exc.result_code)
    except KeyboardInterrupt:
        return 130
    except SQLAlchemyError as exc:
        if os.environ.get("BO_DEBUG"):
            raise
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
        return _fail(EXIT_REFUSED, f"database error: {first}", as_json)
    except Exception as exc:  # never a traceback for the user
        if os.environ.get("BO_DEBUG"):
            raise
        return _fail(
            EXIT_REFUSED, f"internal error ({type(exc).__name__}); set BO_DEBUG=1 for details", as_json
        )


if __name__ == "__main__":
    sys.exit(main())
