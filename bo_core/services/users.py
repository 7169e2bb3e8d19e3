"""User administration and sign-in checks (passwords bcrypt-hashed).

Every administration function takes the ``actor`` and requires ``users:manage``
(``SYSTEM`` for the command line and the demo bootstrap). The sign-in functions
(``authenticate``, ``is_locked``, ``authenticator_credentials``,
``demo_users_exist``) run before anyone is signed in and take no actor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import bcrypt
from sqlalchemy import select

from bo_core.db.models import LoginThrottle, UserRow
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError, NotFound
from bo_core.domain.permissions import Permission
from bo_core.security import events
from bo_core.services.access import require
from bo_core.services.context import Context

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BCRYPT_MAX_BYTES = 72


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str | None
    role: str
    active: bool
    is_demo: bool
    created_at: datetime

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(row.username, row.name, row.email, row.role, row.active, row.is_demo, row.created_at)

    def to_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "demo": self.is_demo,
            "created_at": self.created_at.isoformat(),
        }


def check_username(value: object) -> str:
    if not isinstance(value, str) or not USERNAME.match(value.strip().lower()):
        raise InputError("Username", "use 2-64 lowercase letters, digits, dots, dashes or underscores")
    return value.strip().lower()


def check_password(ctx: Context, password: object) -> str:
    if not isinstance(password, str):
        raise InputError("Password", "must be text")
    minimum = ctx.settings.password_min_length
    if len(password) < minimum:
        raise InputError("Password", f"must be at least {minimum} characters long")
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise InputError("Password", f"must be at most {BCRYPT_MAX_BYTES} bytes long (bcrypt's limit)")
    return password


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def create_user(
    ctx: Context,
    username: str,
    role: str,
    password: str,
    name: str | None = None,
    email: str | None = None,
    *,
    actor: Actor,
    demo: bool = False,
) -> User:
    require(ctx, actor, Permission.USERS_MANAGE)
    username = check_username(username)
    if role not in ctx.settings.roles:
        _unknown_role(ctx, role)
    check_password(ctx, password)
    if email is not None and (len(email) > 254 or "@" not in email or not email.isprintable()):
        raise InputError("Email", "is not an email address")
    if name is not None and (len(name) > 128 or not name.isprintable()):
        raise InputError("Name", "must be printable and at most 128 characters")
    with ctx.db.uow(write=True) as uow:
        if uow.session.get(UserRow, username) is not None:
            raise InputError("Username", f"{username!r} already exists")
        row = UserRow(
            username=username,
            name=(name or username).strip(),
            email=email,
            role=role,
            password_hash=hash_password(password, ctx.settings.bcrypt_rounds),
            active=True,
            is_demo=demo,
            created_at=ctx.now(),
        )
        uow.session.add(row)
        events.record_security_event(
            ctx,
            events.USER_CREATED,
            username=username,
            actor=actor,
            details={"role": role, "demo": demo},
            session=uow.session,
        )
        uow.commit()
        return User.of(row)


def _unknown_role(ctx: Context, role: str) -> None:
    known = ", ".join(sorted(ctx.settings.roles))
    raise InputError("Role", f"{str(role)[:32]!r} is unknown; use one of {known}")


def list_users(ctx: Context, *, actor: Actor) -> list[User]:
    require(ctx, actor, Permission.USERS_MANAGE)
    with ctx.db.uow() as uow:
        rows = uow.session.execute(select(UserRow).order_by(UserRow.username)).scalars()
        return [User.of(r) for r in rows]


def get_user(ctx: Context, username: str, *, actor: Actor) -> User:
    require(ctx, actor, Permission.USERS_MANAGE)
    with ctx.db.uow() as uow:
        row = uow.session.get(UserRow, username)
        if row is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        return User.of(row)


_Event = tuple[str, Actor, dict[str, object]]  # kind, who acted, details


def _update(
    ctx: Context,
    username: str,
    event: _Event | None,
    **changes: object,
) -> User:
    """Change the user's row; ``event`` (kind, actor, details) is recorded in the same transaction."""
    with ctx.db.uow(write=True) as uow:
        row = uow.session.get(UserRow, username)
        if row is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        for key, value in changes.items():
            setattr(row, key, value)
        if event is not None:
            kind, actor, details = event
            events.record_security_event(
                ctx, kind, username=username, actor=actor, details=details, session=uow.session
            )
        uow.commit()
        return User.of(row)


def _end_sessions(ctx: Context, username: str, reason: str) -> None:
    """A change of who someone is or may do ends their sessions at once (every replica)."""
    from bo_core.security.sessions import end_all

    end_all(ctx, username, reason)


def set_role(ctx: Context, username: str, role: str, *, actor: Actor) -> User:
    require(ctx, actor, Permission.USERS_MANAGE)
    if role not in ctx.settings.roles:
        _unknown_role(ctx, role)
    before = get_user(ctx, username, actor=actor)
    changed = before.role != role
    event: _Event | None = (
        (events.ROLE_CHANGED, actor, {"from": before.role, "to": role}) if changed else None
    )
    user = _update(ctx, username, event, role=role)
    if before.role != role:
        _end_sessions(ctx, username, "role_changed")
    return user


def disable_user(ctx: Context, username: str, *, actor: Actor) -> User:
    require(ctx, actor, Permission.USERS_MANAGE)
    user = _update(ctx, username, (events.USER_DISABLED, actor, {}), active=False)
    _end_sessions(ctx, username, "disabled")
    return user


def enable_user(ctx: Context, username: str, *, actor: Actor) -> User:
    require(ctx, actor, Permission.USERS_MANAGE)
    return _update(ctx, username, (events.USER_ENABLED, actor, {}), active=True)


def set_password(
    ctx: Context, username: str, password: str, *, actor: Actor, record_event: bool = True
) -> User:
    """Set a new password (never recorded: the event names who changed it, not what to)."""
    require(ctx, actor, Permission.USERS_MANAGE)
    check_password(ctx, password)
    event: _Event | None = (events.PASSWORD_CHANGED, actor, {}) if record_event else None
    user = _update(ctx, username, event, password_hash=hash_password(password, ctx.settings.bcrypt_rounds))
    _end_sessions(ctx, username, "password_changed")
    return user


def authenticate(ctx: Context, username: str, password: str, *, address: str | None = None) -> User:
    """Check credentials (see ``bo_core.security.signin``: atomic attempt reservation,
    per-account and per-address throttling, lockouts recorded as security events)."""
    from bo_core.security.signin import authenticate as _authenticate

    return _authenticate(ctx, username, password, address=address)


def is_locked(ctx: Context, username: str) -> bool:
    """True while ``username`` is locked out after too many failed sign-ins."""
    key = str(username or "").strip().lower()[:64]
    with ctx.db.uow() as uow:
        throttle = uow.session.get(LoginThrottle, key)
        return bool(throttle and throttle.locked_until and throttle.locked_until > ctx.now())


def demo_users_exist(ctx: Context) -> bool:
    with ctx.db.uow() as uow:
        found = uow.session.execute(select(UserRow.username).where(UserRow.is_demo).limit(1)).first()
        return found is not None


def remove_demo_users(ctx: Context, *, actor: Actor) -> list[str]:
    """Delete the demo users (``bo users remove-demo``); the actor needs ``users:manage``."""
    from bo_core.security.demo_guard import remove_demo_users as _remove

    return _remove(ctx, actor=actor)


def authenticator_credentials(ctx: Context) -> dict[str, dict[str, dict[str, object]]]:
    """Credentials in streamlit-authenticator's shape: active, not locked users only."""
    now = ctx.now()
    with ctx.db.uow() as uow:
        s = uow.session
        locked = set(s.execute(select(LoginThrottle.key).where(LoginThrottle.locked_until > now)).scalars())
        rows = s.execute(select(UserRow).where(UserRow.active).order_by(UserRow.username)).scalars()
        return {
            "usernames": {
                r.username: {"name": r.name, "email": r.email, "password": r.password_hash, "roles": [r.role]}
                for r in rows
                if r.username not in locked
            }
        }
