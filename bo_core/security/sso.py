"""Single sign-on: an OpenID Connect identity, vouched for by the provider, becomes a bo user.

The provider's answer (the ID token's claims, checked by Authlib: signature, issuer,
audience, expiry, nonce) is the input; ``sign_in`` decides, in this order:

1. The identity is complete (``iss``, ``sub``, ``iat``, the username claim) and fresh
   (``iat`` within ``max_age_seconds``), and is used once: its digest is recorded
   atomically, so the same identity never opens a second session (after a sign-out, a
   revocation or a timeout the person signs in at the provider again).
2. The username claim names a bo user (or, with just-in-time creation on, one is created
   with the role from the claim). Unknown users are refused.
3. The user is active: a disabled bo user is refused whatever the provider says.
4. The user is bound to one identity (issuer and subject): the first SSO sign-in binds
   it; another identity claiming the same username is refused.
5. With a role claim configured, the claim decides the role at every sign-in: a changed
   role is written (ending the user's other sessions) and recorded; no mapped role means
   no access.

Every refusal is a security event (``sso_refused``); the session itself is issued by
``bo_core.security.sessions.issue(method="sso")``, which records the ``sign_in``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bo_core.db.models import UserRow
from bo_core.db.security_models import SsoSignIn, UserSecurity
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import AuthenticationError, InputError
from bo_core.domain.permissions import Permission
from bo_core.security import events
from bo_core.security.sessions import end_all
from bo_core.security.sso_policy import SsoPolicy
from bo_core.services.access import require
from bo_core.services.context import Context
from bo_core.services.users import User, check_username

SSO_ROLE_CHANGED = "sso_role_changed"
SSO_USER_CREATED = "sso_user_created"
NO_LOCAL_PASSWORD = "!sso"  # never a bcrypt hash: a password sign-in can never match it
CLOCK_SKEW = timedelta(seconds=60)


class SsoRefused(AuthenticationError):
    """The provider vouched for someone bo does not let in (``message`` is shown to the person,
    ``detail`` goes to the security event)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class IdentityNotFresh(AuthenticationError):
    """The identity is too old or was used already: sign in at the provider again."""


def provision_user(
    ctx: Context, username: str, role: str, *, name: str | None = None, email: str | None = None, actor: Actor
) -> User:
    """An administrator creates a user who signs in only through the identity provider: no
    local password exists to leak, reset or guess (``bo users create ... --sso``)."""
    require(ctx, actor, Permission.USERS_MANAGE)
    username = check_username(username)
    if role not in ctx.settings.roles:
        raise InputError(
            "Role", f"{str(role)[:32]!r} is unknown; use one of {', '.join(sorted(ctx.settings.roles))}"
        )
    if name is not None and (len(name) > 128 or not name.isprintable()):
        raise InputError("Name", "must be printable and at most 128 characters")
    if email is not None and (len(email) > 254 or "@" not in email or not email.isprintable()):
        raise InputError("Email", "is not an email address")
    with ctx.db.uow(write=True) as uow:
        if uow.session.get(UserRow, username) is not None:
            raise InputError("Username", f"{username!r} already exists")
        row = UserRow(
            username=username,
            name=(name or username).strip(),
            email=email,
            role=role,
            password_hash=NO_LOCAL_PASSWORD,
            active=True,
            is_demo=False,
            created_at=ctx.now(),
        )
        uow.session.add(row)
        uow.commit()
        return User.of(row)


def subject_of(claims: Mapping[str, object]) -> str:
    """The stable identity of a person at a provider: issuer and subject."""
    return f"{claims.get('iss', '')} {claims.get('sub', '')}"[:255]


def _digest(claims: Mapping[str, object]) -> str:
    parts = [claims.get("iss"), claims.get("sub"), claims.get("iat"), claims.get("nonce")]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _issued_at(claims: Mapping[str, object]) -> datetime | None:
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(iat), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def sign_in(
    ctx: Context, claims: Mapping[str, object], policy: SsoPolicy, *, address: str | None = None
) -> User:
    """The bo user for a provider-verified identity; raises ``SsoRefused`` or ``IdentityNotFresh``."""
    now = ctx.now()
    issued = _issued_at(claims)
    if not claims.get("iss") or not claims.get("sub") or issued is None:
        raise _refuse(
            ctx, None, address, "incomplete identity", "The identity provider's answer is incomplete."
        )
    max_age = timedelta(seconds=policy.max_age_seconds)
    if now - issued > max_age or issued - now > CLOCK_SKEW:
        raise IdentityNotFresh("Your sign-in at the identity provider is too old. Sign in again.")
    raw_name = claims.get(policy.username_claim)
    _consume(ctx, claims, raw_name if isinstance(raw_name, str) else None, now, max_age)
    try:
        username = check_username(raw_name)
    except InputError:
        raise _refuse(
            ctx,
            None,
            address,
            f"claim {policy.username_claim!r} is not a bo username: {str(raw_name)[:64]!r}",
            "Your identity provider did not send a username bo can use. Ask an administrator.",
        ) from None
    role = policy.role_from(claims)
    if role is not None and role not in ctx.settings.roles:
        role = None
    try:
        with ctx.db.uow(write=True) as uow:
            user = _apply(ctx, uow.session, username, claims, policy, role, address)
            uow.commit()
            return user
    except SsoRefused as refused:
        raise _refuse(ctx, username, address, refused.detail, refused.message) from None
    except IntegrityError:  # the same user created or bound at this very moment elsewhere
        raise _refuse(ctx, username, address, "concurrent sign-in", "Sign-in failed: try again.") from None


def _consume(
    ctx: Context, claims: Mapping[str, object], username: str | None, now: datetime, age: timedelta
) -> None:
    """Record the identity as used (one atomic insert); a second use is refused."""
    try:
        with ctx.db.uow(write=True) as uow:
            uow.session.execute(delete(SsoSignIn).where(SsoSignIn.created_at < now - 2 * age))
            uow.session.add(
                SsoSignIn(id=_digest(claims), username=(username or "")[:64] or None, created_at=now)
            )
            uow.commit()
    except IntegrityError:
        raise IdentityNotFresh("This sign-in was used already. Sign in again.") from None


def _apply(
    ctx: Context,
    s: Session,
    username: str,
    claims: Mapping[str, object],
    policy: SsoPolicy,
    role: str | None,
    address: str | None,
) -> User:
    """Inside one write transaction: find (or create) the user and check it; refuse by raising."""
    row = s.get(UserRow, username)
    if policy.role_claim and role is None:
        raise SsoRefused("Your identity provider gives you no bo role.", detail="no role in the role claim")
    if row is None:
        if not policy.create_users:
            raise SsoRefused(
                "Your account is not a bo user. Ask an administrator for access.", detail="unknown user"
            )
        row = _create(ctx, s, username, claims, role)
    if not row.active:
        raise SsoRefused("This account is disabled.", detail="disabled account")
    _bind(s, username, subject_of(claims))
    if role is not None and row.role != role:
        before, row.role = row.role, role
        s.flush()
        end_all(ctx, username, "role_changed", actor="sso", session=s)
        events.record_security_event(
            ctx, SSO_ROLE_CHANGED, username=username, address=address, actor="sso",
            detail=f"{before} -> {role} (claim {policy.role_claim})", session=s,
        )  # fmt: skip
    return User.of(row)


def _create(
    ctx: Context, s: Session, username: str, claims: Mapping[str, object], role: str | None
) -> UserRow:
    if role is None:
        raise SsoRefused(
            "Your account is not a bo user. Ask an administrator.", detail="unknown user, no role claim"
        )
    name = claims.get("name")
    email = claims.get("email")
    row = UserRow(
        username=username,
        name=name.strip()[:128] if isinstance(name, str) and name.strip().isprintable() else username,
        email=email[:254] if isinstance(email, str) and "@" in email and email.isprintable() else None,
        role=role,
        password_hash=NO_LOCAL_PASSWORD,
        active=True,
        is_demo=False,
        created_at=ctx.now(),
    )
    s.add(row)
    s.flush()
    events.record_security_event(
        ctx, SSO_USER_CREATED, username=username, actor="sso", detail=f"role {role}", session=s
    )
    return row


def _bind(s: Session, username: str, subject: str) -> None:
    sec = s.get(UserSecurity, username)
    if sec is not None and sec.external_subject is not None:
        if sec.external_subject != subject:
            raise SsoRefused(
                "This bo account belongs to another identity.", detail="bound to another identity"
            )
        return
    taken = s.execute(
        select(UserSecurity.username).where(UserSecurity.external_subject == subject)
    ).scalar_one_or_none()
    if taken is not None:
        raise SsoRefused("Your identity is bound to another bo account.", detail=f"identity bound to {taken}")
    if sec is None:
        sec = UserSecurity(
            username=username, must_change_password=False, totp_enabled=False, recovery_codes=""
        )
        s.add(sec)
    sec.external_subject = subject
    s.flush()


def _refuse(ctx: Context, username: str | None, address: str | None, detail: str, message: str) -> SsoRefused:
    """Record the refusal (on its own: the sign-in's transaction was rolled back)."""
    events.record_security_event(ctx, events.SSO_REFUSED, username=username, address=address, detail=detail)
    return SsoRefused(message)
