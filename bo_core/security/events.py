"""Security events: one append-only record per sign-in, failure, lockout, sign-out or credential change.

``record_security_event`` is the single way to write one, so that a tamper-evident
chain can be added in one place later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.security_models import SecurityEvent
from bo_core.services.context import Context

# The kinds written by bo (stable: operators filter logs by them).
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
LOCKOUT = "lockout"
ADDRESS_THROTTLED = "address_throttled"
SIGN_OUT = "sign_out"
SESSION_REVOKED = "session_revoked"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
MFA_ENROLLED = "mfa_enrolled"
MFA_FAILED = "mfa_failed"
SSO_REFUSED = "sso_refused"
DEMO_USERS_REMOVED = "demo_users_removed"


@dataclass(frozen=True)
class Event:
    created_at: datetime
    kind: str
    username: str | None
    address: str | None
    actor: str | None
    detail: str


def record_security_event(
    ctx: Context,
    kind: str,
    *,
    username: str | None = None,
    address: str | None = None,
    actor: str | None = None,
    detail: str = "",
    session: Session | None = None,
) -> None:
    """Append one event; inside ``session`` when given (committed with it), else on its own."""
    row = SecurityEvent(
        created_at=ctx.now(),
        kind=kind,
        username=(username or None) and str(username)[:64],
        address=(address or None) and str(address)[:64],
        actor=actor,
        detail=detail[:2000],
    )
    if session is not None:
        session.add(row)
        return
    with ctx.db.uow(write=True) as uow:
        uow.session.add(row)
        uow.commit()


def list_security_events(ctx: Context, *, username: str | None = None, limit: int = 200) -> list[Event]:
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if username is not None:
        query = query.where(SecurityEvent.username == username)
    with ctx.db.uow() as uow:
        rows = uow.session.execute(query).scalars()
        return [Event(r.created_at, r.kind, r.username, r.address, r.actor, r.detail) for r in rows]
