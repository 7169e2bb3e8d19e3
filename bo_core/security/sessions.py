"""Server-side sessions: the browser holds only a signed, unguessable token.

A session is valid only if the server issued it, nobody ended it, the user is
active, and neither the idle timeout (``session_idle_minutes``) nor the absolute
lifetime (``session_hours``, from the sign-in time kept here) has passed. Every
check reads the database, so an ending on one replica holds on all of them.

Cookie value: ``<token>.<HMAC-SHA256(cookie key, token)>`` (base64url). Only the
SHA-256 of the token is stored, so a copy of the table signs nobody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bo_core.db.models import UserRow
from bo_core.db.security_models import SessionRow
from bo_core.security import events
from bo_core.services.context import Context

TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often
# How an ending is recorded; any other reason (disabled, revoked...) is a revocation.
_END_KINDS = {"sign_out": events.SIGN_OUT, "idle": events.SESSION_EXPIRED, "expired": events.SESSION_EXPIRED}


@dataclass(frozen=True)
class ActiveSession:
    id: str
    username: str
    name: str
    role: str
    method: str
    created_at: datetime
    expires_at: datetime
    mfa_done: bool


@dataclass(frozen=True)
class Refusal:
    reason: str  # unknown | ended | idle | expired | disabled


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _mac(token: str, key: str) -> str:
    mac = hmac.new(key.encode("utf-8"), token.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def sign(token: str, key: str) -> str:
    return f"{token}.{_mac(token, key)}"


def unsign(cookie: object, key: str) -> str | None:
    """The token inside a cookie value, or None when it is not one we signed (never raises)."""
    if not isinstance(cookie, str) or len(cookie) > 200 or cookie.count(".") != 1:
        return None
    token, mac = cookie.split(".")
    if not token.isascii() or not mac.isascii() or len(token) < 32:
        return None
    return token if hmac.compare_digest(mac, _mac(token, key)) else None


def issue(
    ctx: Context, username: str, *, method: str, address: str | None = None, mfa_done: bool = False
) -> str:
    """Create a session for a user who just proved who they are; return the raw token."""
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    with ctx.db.uow(write=True) as uow:
        uow.session.add(
            SessionRow(
                id=_digest(token),
                username=username,
                method=method,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=ctx.settings.session_hours),
                address=address,
                mfa_done=mfa_done,
            )
        )
        events.record_security_event(
            ctx, events.SIGN_IN, username=username, address=address, detail=method, session=uow.session
        )
        uow.commit()
    return token


def validate(ctx: Context, token: str) -> ActiveSession | Refusal:
    """The live session for ``token``; ends it on the spot when a timeout has passed."""
    now = ctx.now()
    sid = _digest(token)
    with ctx.db.uow() as uow:
        found = uow.session.execute(
            select(SessionRow, UserRow)
            .join(UserRow, UserRow.username == SessionRow.username)
            .where(SessionRow.id == sid)
        ).first()
        if found is None:
            return Refusal("unknown")
        row, user = found
        if row.ended_at is not None:
            return Refusal(row.end_reason or "ended")
        reason = None
        if not user.active:
            reason = "disabled"
        elif now >= row.expires_at:
            reason = "expired"
        elif now - row.last_seen_at >= timedelta(minutes=ctx.settings.session_idle_minutes):
            reason = "idle"
        touch = reason is None and now - row.last_seen_at >= TOUCH_EVERY
        active = ActiveSession(
            sid, user.username, user.name, user.role, row.method, row.created_at, row.expires_at, row.mfa_done
        )
    if reason is not None:
        end(ctx, sid, reason, by_id=True)
        return Refusal(reason)
    if touch:
        with ctx.db.uow(write=True) as uow:
            uow.session.execute(
                update(SessionRow)
                .where(SessionRow.id == sid, SessionRow.ended_at.is_(None))
                .values(last_seen_at=now)
            )
            uow.commit()
    return active


def mark_mfa_done(ctx: Context, token: str) -> None:
    with ctx.db.uow(write=True) as uow:
        uow.session.execute(update(SessionRow).where(SessionRow.id == _digest(token)).values(mfa_done=True))
        uow.commit()


def end(ctx: Context, token: str, reason: str, *, by_id: bool = False) -> None:
    """End one session (sign-out, timeout). Ending an ended session changes nothing."""
    sid = token if by_id else _digest(token)
    with ctx.db.uow(write=True) as uow:
        row = uow.session.get(SessionRow, sid)
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = ctx.now(), reason[:32]
            kind = _END_KINDS.get(reason, events.SESSION_REVOKED)
            events.record_security_event(ctx, kind, username=row.username, detail=reason, session=uow.session)
        uow.commit()


def end_all(
    ctx: Context, username: str, reason: str, *, actor: str | None = None, session: Session | None = None
) -> int:
    """End every live session of ``username`` (disable, role or password change, revocation)."""
    if session is None:
        with ctx.db.uow(write=True) as uow:
            count = end_all(ctx, username, reason, actor=actor, session=uow.session)
            uow.commit()
            return count
    result = session.execute(
        update(SessionRow)
        .where(SessionRow.username == username, SessionRow.ended_at.is_(None))
        .values(ended_at=ctx.now(), end_reason=reason[:32])
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        events.record_security_event(
            ctx, events.SESSION_REVOKED, username=username, actor=actor, detail=reason, session=session
        )
    return count


@dataclass(frozen=True)
class SessionSummary:
    id: str  # the digest, never the token
    method: str
    created_at: datetime
    last_seen_at: datetime
    address: str | None


def live_sessions(ctx: Context, username: str) -> list[SessionSummary]:
    """Sessions not ended yet (a timed-out one is ended when next presented)."""
    with ctx.db.uow() as uow:
        rows = uow.session.execute(
            select(SessionRow).where(SessionRow.username == username, SessionRow.ended_at.is_(None))
        ).scalars()
        return [SessionSummary(r.id, r.method, r.created_at, r.last_seen_at, r.address) for r in rows]
