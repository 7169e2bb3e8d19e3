"""`bo approvals ...`: the four-eyes commands of the command line.

Exit codes as for every command (0 done, 1 refused or not found, 2 usage or
input error); deciding always names the person with ``--as USER``: the system
is never the second person.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bo_core.domain.authorization import SYSTEM, Actor

EXIT_OK = 0


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


def acting(as_user: str | None) -> Actor:
    """``--as USER`` acts for that user; without it the command line is the system."""
    return SYSTEM if as_user is None else as_user


def _print(view: Any, as_json: bool) -> None:
    if as_json:
        _emit(view.to_dict())
        return
    done = f" -> {view.outcome} {view.child_uuid or ''}".rstrip() if view.outcome else ""
    print(
        f"#{view.id}  {view.state:<9} {view.operation:<20} {view.amount:>14} {view.currency}  "
        f"{view.parent_uuid}  by {view.requested_by}"
        + (f", decided by {view.decided_by}" if view.decided_by else "")
        + done
    )


def cmd_list(args: argparse.Namespace) -> int:
    from bo_core.services import approvals

    found = approvals.list_approvals(_context(), actor=acting(args.as_user), state=args.state)
    if args.json:
        _emit([v.to_dict() for v in found])
    else:
        for view in found:
            _print(view, False)
    return EXIT_OK


def cmd_approve(args: argparse.Namespace) -> int:
    from bo_core.services import approvals

    view = approvals.approve(_context(), args.id, actor=args.as_user)
    _print(view, args.json)
    return EXIT_OK


def cmd_reject(args: argparse.Namespace) -> int:
    from bo_core.services import approvals

    _print(approvals.reject(_context(), args.id, actor=args.as_user, reason=args.reason), args.json)
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace) -> int:
    from bo_core.services import approvals

    _print(approvals.cancel(_context(), args.id, actor=args.as_user), args.json)
    return EXIT_OK


def add_approvals(sub: Any) -> None:
    approvals = sub.add_parser("approvals", help="four-eyes approval requests").add_subparsers(
        dest="approvals_command", required=True
    )
    listing = approvals.add_parser("list", help="approval requests, newest first")
    listing.add_argument("--state", choices=["open", "approved", "rejected", "cancelled", "expired"])
    listing.add_argument("--as", dest="as_user", metavar="USERNAME", help="see what this user sees")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    for name, func, text in (
        ("approve", cmd_approve, "approve and execute a request (not your own)"),
        ("reject", cmd_reject, "reject a request, with a reason"),
        ("cancel", cmd_cancel, "withdraw your own open request"),
    ):
        cmd = approvals.add_parser(name, help=text)
        cmd.add_argument("id", metavar="ID")
        cmd.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        if name == "reject":
            cmd.add_argument("--reason", metavar="TEXT", help="required: why the request is rejected")
        cmd.add_argument("--json", action="store_true")
        cmd.set_defaults(func=func)


def _print_scope(view: Any, as_json: bool) -> None:
    if as_json:
        _emit(view.to_dict())
        return
    nodes = ", ".join(n["merchant"] + (f"/{n['channel']}" if n["channel"] else "") for n in view.scope)
    print(f"{view.username}\t{view.role}\t{'active' if view.active else 'disabled'}\t{nodes or '(nothing)'}")


def cmd_users_assign(args: argparse.Namespace) -> int:
    from bo_core.services import scopes

    view = scopes.assign(_context(), args.username, args.merchant, args.channel, actor=acting(args.as_user))
    _print_scope(view, args.json)
    return EXIT_OK


def cmd_users_unassign(args: argparse.Namespace) -> int:
    from bo_core.services import scopes

    view = scopes.unassign(_context(), args.username, args.merchant, args.channel, actor=acting(args.as_user))
    _print_scope(view, args.json)
    return EXIT_OK


def cmd_users_show(args: argparse.Namespace) -> int:
    from bo_core.services import scopes

    _print_scope(scopes.user_scope(_context(), args.username, actor=acting(args.as_user)), args.json)
    return EXIT_OK


def add_user_scopes(users: Any) -> None:
    """``bo users assign|unassign USER --merchant M [--channel C] [--as ADMIN]`` and ``bo users show``."""
    for name, func, text in (
        ("assign", cmd_users_assign, "grant a node of the account tree ('*' is every merchant)"),
        ("unassign", cmd_users_unassign, "withdraw an assignment"),
    ):
        cmd = users.add_parser(name, help=text)
        cmd.add_argument("username")
        cmd.add_argument("--merchant", required=True, help="a merchant, or '*' for the root")
        cmd.add_argument("--channel", help="one channel of the merchant")
        cmd.add_argument("--as", dest="as_user", metavar="ADMIN", help="act as this administrator")
        cmd.add_argument("--json", action="store_true")
        cmd.set_defaults(func=func)
    show = users.add_parser("show", help="a user's role and assignments")
    show.add_argument("username")
    show.add_argument("--as", dest="as_user", metavar="ADMIN")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_users_show)
