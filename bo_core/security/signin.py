"""Password sign-in: reserve an attempt atomically, check the password outside any transaction.

1. One short write transaction reserves the attempt for the account and for the
   client address (``throttle.reserve``) and commits at once. A reservation over
   the limit is refused without looking at the password.
2. The user row is read, and bcrypt runs with no transaction open (a flood of
   sign-ins never holds SQLite's write lock while hashing).
3. Success clears the account's counter and gives the address its slot back.
   Unknown names are checked against a dummy hash of the configured cost, so the
   time taken does not tell which names exist.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import cache

import bcrypt

from bo_core.db.models import UserRow
from bo_core.domain.errors import AuthenticationError
from bo_core.security import events, throttle
from bo_core.services.context import Context
from bo_core.services.users import BCRYPT_MAX_BYTES, User, hash_password


class AccountLocked(AuthenticationError):
    """Too many failed sign-ins for this account (or from this address)."""


@cache
def dummy_hash(rounds: int) -> bytes:
    """A hash of the configured cost, checked for unknown names (same timing as a real user)."""
    return hash_password("not-a-real-password-for-timing", rounds).encode("ascii")


def normalize_username(username: object) -> str:
    return str(username or "").strip().lower()[:64]


def _minutes_left(until: datetime | None, now: datetime) -> int:
    if until is None:
        return 1
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _password_matches(password: object, stored: bytes) -> bool:
    pw = str(password or "").encode("utf-8")[:BCRYPT_MAX_BYTES]
    try:
        return bcrypt.checkpw(pw, stored)
    except ValueError:  # not a bcrypt hash (an account without a local password)
        return False


def authenticate(ctx: Context, username: object, password: object, *, address: str | None = None) -> User:
    """Return the user when the credentials are right; raise ``AuthenticationError`` otherwise."""
    key = normalize_username(username)
    now = ctx.now()
    settings = ctx.settings
    window = timedelta(minutes=settings.lockout_minutes)
    address_slot = throttle.address_key(address) if address else None
    with ctx.db.uow(write=True) as uow:
        account = throttle.reserve(uow.session, key, now, window, settings.lockout_attempts)
        by_address = (
            throttle.reserve(uow.session, address_slot, now, window, settings.address_attempts)
            if address_slot
            else None
        )
        if by_address is not None and by_address.just_locked:
            events.record_security_event(
                ctx, events.ADDRESS_THROTTLED, username=key, address=address, session=uow.session
            )
        uow.commit()
    if account.refused:
        raise AccountLocked(
            "Too many failed sign-ins: this account is locked for "
            f"{_minutes_left(account.locked_until, now)} more minute(s)"
        )
    if by_address is not None and by_address.refused:
        raise AccountLocked(
            "Too many failed sign-ins from your network address: try again in "
            f"{_minutes_left(by_address.locked_until, now)} minute(s)"
        )

    with ctx.db.uow() as uow:
        row = uow.session.get(UserRow, key)
        user = User.of(row) if row is not None else None
        stored = row.password_hash.encode("ascii") if row is not None else None
    good = _password_matches(password, stored or dummy_hash(settings.bcrypt_rounds)) and user is not None

    if good and user is not None and user.active:
        with ctx.db.uow(write=True) as uow:
            throttle.clear(uow.session, key)
            if address_slot:
                throttle.give_back(uow.session, address_slot)
            uow.commit()
        throttle.purge_expired(ctx)
        return user
    with ctx.db.uow(write=True) as uow:
        detail = "disabled account" if good else ("unknown user" if user is None else "wrong password")
        events.record_security_event(
            ctx, events.SIGN_IN_FAILED, username=key, address=address, detail=detail, session=uow.session
        )
        if account.just_locked:
            events.record_security_event(
                ctx,
                events.LOCKOUT,
                username=key,
                address=address,
                detail=f"{account.count} failed sign-ins; locked for {settings.lockout_minutes} minutes",
                session=uow.session,
            )
        uow.commit()
    if good and user is not None and not user.active:
        raise AuthenticationError("This account is disabled")
    if account.just_locked:
        raise AccountLocked(
            "Username or password is incorrect. Too many failed sign-ins: this account is now locked for "
            f"{settings.lockout_minutes} minute(s)"
        )
    raise AuthenticationError("Username or password is incorrect")
