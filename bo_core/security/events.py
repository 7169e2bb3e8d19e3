"""Security events: one append-only, hash-chained record per sign-in, user change, export...

``record_security_event`` is the single way to write one. Each event names who
acted (``actor``), whom or what it concerns (``username`` for a user, else
``target``), the request's origin (channel, web session, OS user: see
``bo_core.services.origin``) and details. Events form their own tamper-evident
chain (``bo_core.security.event_chain``), checked by ``bo audit verify``.

Never a password, token or full card number: detail keys naming a secret are
redacted and card-number-like digit runs masked before anything is stored
(``bo_core.security.redact``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.security_models import SecurityEvent
from bo_core.security import event_chain
from bo_core.security.redact import redact_details, redact_text
from bo_core.services.context import Context
from bo_core.services.origin import current_origin

# The kinds written by bo (stable: operators filter logs by them).
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
LOCKOUT = "lockout"
ADDRESS_THROTTLED = "address_throttled"
SIGN_OUT = "sign_out"
SESSION_EXPIRED = "session_expired"
SESSION_REVOKED = "session_revoked"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
MFA_ENROLLED = "mfa_enrolled"
MFA_FAILED = "mfa_failed"
SSO_REFUSED = "sso_refused"
DEMO_USERS_REMOVED = "demo_users_removed"
USER_CREATED = "user_created"
ROLE_CHANGED = "role_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
SCOPE_ASSIGNED = "scope_assigned"
SCOPE_UNASSIGNED = "scope_unassigned"
ROLES_LOADED = "roles_loaded"
EXPORT = "export"
APPROVAL_REQUESTED = "approval_requested"
APPROVAL_APPROVED = "approval_approved"
APPROVAL_REJECTED = "approval_rejected"
APPROVAL_CANCELLED = "approval_cancelled"
APPROVAL_EXPIRED = "approval_expired"

KINDS = (
    SIGN_IN,
    SIGN_IN_FAILED,
    LOCKOUT,
    ADDRESS_THROTTLED,
    SIGN_OUT,
    SESSION_EXPIRED,
    SESSION_REVOKED,
    USER_CREATED,
    ROLE_CHANGED,
    USER_DISABLED,
    USER_ENABLED,
    SCOPE_ASSIGNED,
    SCOPE_UNASSIGNED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    MFA_ENROLLED,
    MFA_FAILED,
    SSO_REFUSED,
    DEMO_USERS_REMOVED,
    ROLES_LOADED,
    EXPORT,
    APPROVAL_REQUESTED,
    APPROVAL_APPROVED,
    APPROVAL_REJECTED,
    APPROVAL_CANCELLED,
    APPROVAL_EXPIRED,
)


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
    actor: object = None,
    detail: str = "",
    session: Session | None = None,
    target: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Append one event at the end of the security chain.

    Inside ``session`` when given (committed with it), else in its own unit of
    work. ``actor`` is who acted (a username or ``SYSTEM``; absent: the user
    concerned acted), ``username`` the user concerned, ``target`` any other
    object concerned (an export's dataset, an approval request), ``details``
    plain values stored as JSON (secrets redacted, card numbers masked).
    """
    if session is not None:
        record_event_at(
            session, ctx.now(), kind, username=username, address=address, actor=actor,
            detail=detail, target=target, details=details,
        )  # fmt: skip
        return
    with ctx.db.uow(write=True) as uow:
        record_event_at(
            uow.session, ctx.now(), kind, username=username, address=address, actor=actor,
            detail=detail, target=target, details=details,
        )  # fmt: skip
        uow.commit()


def record_event_at(
    session: Session,
    now: datetime,
    kind: str,
    *,
    username: str | None = None,
    address: str | None = None,
    actor: object = None,
    detail: str = "",
    target: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """``record_security_event`` for code that holds a session and a time but no context."""
    origin = current_origin()
    row = SecurityEvent(
        created_at=now,
        kind=str(kind)[:32],
        username=(username or None) and str(username)[:64],
        address=(address or None) and str(address)[:64],
        actor=None if actor is None or actor == "" else str(actor)[:64],
        detail=redact_text(detail)[:2000] if details is None else redact_details(details, detail)[:8000],
        target=None if target is None else redact_text(str(target))[:128],
        channel=origin.channel,
        session_ref=origin.session_ref,
        os_user=origin.os_user,
    )
    event_chain.append(session, row)


def record_export(
    ctx: Context,
    *,
    actor: object,
    dataset: str,
    filters: Mapping[str, object],
    rows: int,
    session: Session | None = None,
) -> None:
    """One ``export`` event: who exported which data set, with which filters, how many rows."""
    record_security_event(
        ctx,
        EXPORT,
        actor=actor,
        target=dataset,
        details={"filters": dict(filters), "rows": rows},
        session=session,
    )


def list_security_events(ctx: Context, *, username: str | None = None, limit: int = 200) -> list[Event]:
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if username is not None:
        query = query.where(SecurityEvent.username == username)
    with ctx.db.uow() as uow:
        rows = uow.session.execute(query).scalars()
        return [Event(r.created_at, r.kind, r.username, r.address, r.actor, r.detail) for r in rows]
