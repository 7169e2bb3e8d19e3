"""`bo` commands of the security layer: secrets, demo users, sessions, security events."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK = 0


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _context() -> Any:
    from bo_core.services.context import open_context

    return open_context()


def cmd_secrets_generate(args: argparse.Namespace) -> int:
    from bo_core.security.keys import generate_key, key_strength_bits

    key = generate_key()
    if args.json:
        _emit({"cookie_key": key, "bits": round(key_strength_bits(key))})
    else:
        print(key)
    return EXIT_OK


def cmd_users_remove_demo(args: argparse.Namespace) -> int:
    from bo_core.domain.authorization import SYSTEM
    from bo_core.security.demo_guard import remove_demo_users

    removed = remove_demo_users(_context(), actor=SYSTEM)
    if args.json:
        _emit({"removed": removed})
    else:
        print(f"removed {len(removed)} demo user(s)" + (f": {', '.join(removed)}" if removed else ""))
    return EXIT_OK


def cmd_users_revoke_sessions(args: argparse.Namespace) -> int:
    from bo_core.domain.authorization import SYSTEM
    from bo_core.security.sessions import end_all
    from bo_core.services import users

    ctx = _context()
    users.get_user(ctx, args.username, actor=SYSTEM)  # NotFound -> exit 1
    count = end_all(ctx, args.username, "revoked", actor="cli")
    if args.json:
        _emit({"username": args.username, "ended": count})
    else:
        print(f"ended {count} session(s) of {args.username}")
    return EXIT_OK


def cmd_security_events(args: argparse.Namespace) -> int:
    from bo_core.security.events import list_security_events

    found = list_security_events(_context(), username=args.user, limit=args.limit)
    if args.json:
        _emit([e.__dict__ for e in found])
    else:
        for e in found:
            print(
                f"{e.created_at.isoformat()}\t{e.kind}\t{e.username or '-'}\t{e.address or '-'}\t{e.detail}"
            )
    return EXIT_OK


def register(sub: Any, users: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add the commands to ``bo`` (``sub``) and to ``bo users`` (``users``)."""
    secrets_cmd = sub.add_parser("secrets", help="secret keys").add_subparsers(
        dest="secrets_command", required=True, parser_class=parser_class
    )
    gen = secrets_cmd.add_parser("generate", help="print a strong random cookie key")
    gen.add_argument("--json", action="store_true")
    gen.set_defaults(func=cmd_secrets_generate)

    remove = users.add_parser("remove-demo", help="delete the demo users (public passwords)")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=cmd_users_remove_demo)
    revoke = users.add_parser("revoke-sessions", help="end every session of a user at once")
    revoke.add_argument("username")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=cmd_users_revoke_sessions)

    security = sub.add_parser("security", help="security events").add_subparsers(
        dest="security_command", required=True, parser_class=parser_class
    )
    ev = security.add_parser("events", help="sign-ins, failures, lockouts, sign-outs, revocations")
    ev.add_argument("--user")
    ev.add_argument("--limit", type=int, default=200)
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_security_events)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `bo`")
