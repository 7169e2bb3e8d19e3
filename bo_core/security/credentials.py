"""Own password change, forced change after an admin set the password, TOTP second factor.

- ``change_own_password`` needs the current password; it ends every other session.
- An account created or reset by an administrator must change its password at the
  next sign-in (``must_change_password``): until then it can do nothing else.
- TOTP (RFC 6238, pyotp): enrolment shows a secret and a QR code; the first valid
  code confirms it and yields ten single-use recovery codes (stored as SHA-256).
  A code is accepted once (the last used time step is kept). Required for the roles
  in ``BO_MFA_ROLES`` (admins by default), optional for everyone else.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import bcrypt
import pyotp

from bo_core.db.models import UserRow
from bo_core.db.security_models import UserSecurity
from bo_core.domain.authorization import SYSTEM, Actor
from bo_core.domain.errors import AuthenticationError, InputError, NotFound
from bo_core.domain.permissions import Permission
from bo_core.security import events
from bo_core.security.sessions import end_all
from bo_core.services import users
from bo_core.services.access import require
from bo_core.services.context import Context

ISSUER = "bo back office"
RECOVERY_CODES = 10


@dataclass(frozen=True)
class Factors:
    must_change_password: bool
    totp_enabled: bool
    mfa_required: bool

    @property
    def needs_mfa(self) -> bool:
        return self.totp_enabled or self.mfa_required


def _row(session: object, username: str) -> UserSecurity:
    s = session  # a SQLAlchemy Session
    row: UserSecurity | None = s.get(UserSecurity, username)  # type: ignore[attr-defined]
    if row is None:
        row = UserSecurity(
            username=username, must_change_password=False, totp_enabled=False, recovery_codes=""
        )
        s.add(row)  # type: ignore[attr-defined]
    return row


def factors(ctx: Context, username: str) -> Factors:
    with ctx.db.uow() as uow:
        user = uow.session.get(UserRow, username)
        if user is None:
            raise NotFound(f"No user named {username[:64]!r}")
        row = uow.session.get(UserSecurity, username)
        return Factors(
            bool(row and row.must_change_password),
            bool(row and row.totp_enabled),
            user.role in ctx.settings.mfa_roles,
        )


def require_password_change(ctx: Context, username: str) -> None:
    """Mark an account whose password an administrator chose (created or reset)."""
    with ctx.db.uow(write=True) as uow:
        _row(uow.session, username).must_change_password = True
        uow.commit()


def admin_reset_password(ctx: Context, username: str, password: str, *, actor: Actor) -> None:
    """An administrator sets a new password: sessions end, the user must change it at sign-in."""
    users.set_password(ctx, username, password, actor=actor)  # checks users:manage
    require_password_change(ctx, username)
    events.record_security_event(ctx, events.PASSWORD_RESET, username=username, actor=str(actor))


def revoke_sessions(ctx: Context, username: str, *, actor: Actor) -> int:
    """An administrator ends every session of ``username`` at once."""
    require(ctx, actor, Permission.USERS_MANAGE)
    users.get_user(ctx, username, actor=actor)  # NotFound for an unknown name
    return end_all(ctx, username, "revoked", actor=str(actor))


def change_own_password(ctx: Context, username: str, current: str, new: str) -> None:
    with ctx.db.uow() as uow:
        row = uow.session.get(UserRow, username)
        stored = row.password_hash.encode("ascii") if row is not None else None
    ok = False
    if stored is not None:
        try:
            ok = bcrypt.checkpw(str(current).encode("utf-8")[: users.BCRYPT_MAX_BYTES], stored)
        except ValueError:
            ok = False
    if not ok:
        raise AuthenticationError("The current password is not correct")
    if new == current:
        raise InputError("New password", "must differ from the current one")
    # The user proved the current password; the change is theirs (no users:manage needed).
    # Ends every session, this one included; the change is recorded below as the user's own.
    users.set_password(ctx, username, new, actor=SYSTEM, record_event=False)
    with ctx.db.uow(write=True) as uow:
        sec = _row(uow.session, username)
        sec.must_change_password = False
        sec.password_changed_at = ctx.now()
        events.record_security_event(
            ctx, events.PASSWORD_CHANGED, username=username, actor=username, session=uow.session
        )
        uow.commit()


def begin_totp(ctx: Context, username: str) -> tuple[str, str]:
    """A fresh secret (not active until confirmed) and its ``otpauth://`` URI for the QR code."""
    secret = pyotp.random_base32()
    with ctx.db.uow(write=True) as uow:
        row = _row(uow.session, username)
        if row.totp_enabled:
            raise InputError("Second factor", "is already set up")
        row.totp_secret = secret
        uow.commit()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _accept_totp(ctx: Context, row: UserSecurity, code: str) -> bool:
    if not row.totp_secret or not code.strip().isdigit():
        return False
    totp = pyotp.TOTP(row.totp_secret)
    now = ctx.now()
    for drift in (0, -1, 1):  # one step of clock skew either way
        step = int(now.timestamp()) // totp.interval + drift
        if secrets.compare_digest(totp.at(step * totp.interval), code.strip()):
            if row.totp_last_step is not None and step <= row.totp_last_step:
                return False  # replayed
            row.totp_last_step = step
            return True
    return False


def confirm_totp(ctx: Context, username: str, code: str) -> list[str]:
    """Turn TOTP on with a first valid code; return the recovery codes (shown once)."""
    with ctx.db.uow(write=True) as uow:
        row = _row(uow.session, username)
        if not _accept_totp(ctx, row, code):
            raise AuthenticationError("The code is not correct; check the time on your device")
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        row.totp_enabled = True
        row.recovery_codes = " ".join(_hash_code(c) for c in codes)
        events.record_security_event(ctx, events.MFA_ENROLLED, username=username, session=uow.session)
        uow.commit()
    return codes


def verify_second_factor(ctx: Context, username: str, code: str) -> bool:
    """A TOTP code, or an unused recovery code (then spent). Guesses are throttled like passwords."""
    from datetime import timedelta

    from bo_core.security import throttle
    from bo_core.security.signin import AccountLocked

    key = f"mfa:{username}"[:64]
    window = timedelta(minutes=ctx.settings.lockout_minutes)
    with ctx.db.uow(write=True) as uow:
        slot = throttle.reserve(uow.session, key, ctx.now(), window, ctx.settings.lockout_attempts)
        uow.commit()
    if slot.refused:
        raise AccountLocked("Too many wrong codes: the second factor is locked for a while")
    with ctx.db.uow(write=True) as uow:
        row = _row(uow.session, username)
        ok = row.totp_enabled and _accept_totp(ctx, row, code)
        if row.totp_enabled and not ok:
            hashed = _hash_code(code)
            stored = row.recovery_codes.split()
            if hashed in stored:
                stored.remove(hashed)
                row.recovery_codes = " ".join(stored)
                ok = True
        if not ok:
            events.record_security_event(ctx, events.MFA_FAILED, username=username, session=uow.session)
        else:
            throttle.clear(uow.session, key)
        uow.commit()
        return bool(ok)
