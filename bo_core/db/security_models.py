"""Tables of the security layer: server-side sessions, security events, per-user sign-in factors.

Kept apart from ``models`` (which imports this module at its end) so that the
sign-in machinery evolves without touching the payment tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bo_core.db.models import Base, BigId, LoginThrottle, UTCDateTime, utc


class SessionRow(Base):
    """One sign-in. Valid only while ``ended_at`` is empty and neither timeout has passed.

    ``id`` is the SHA-256 of the token the browser holds; the token itself is never stored.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), ForeignKey("users.username"))
    method: Mapped[str] = mapped_column(String(16))  # password | sso
    created_at: Mapped[utc]
    last_seen_at: Mapped[utc]
    expires_at: Mapped[utc]
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mfa_done: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (Index("ix_sessions_username", "username", "ended_at"),)


class SecurityEvent(Base):
    """Sign-ins, user changes, roles files, exports, approval steps. Append-only, hash-chained.

    ``id`` is the chain's sequence; ``username`` the user concerned (the target),
    ``actor`` who acted. Events recorded before the chain existed have no hash.
    """

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[utc]
    kind: Mapped[str] = mapped_column(String(32))
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str | None] = mapped_column(String(128), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    session_ref: Mapped[str | None] = mapped_column(String(16), nullable=True)
    os_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash_version: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_security_events_created", "created_at"),
        Index("ix_security_events_kind", "kind", "created_at"),
        Index("ix_security_events_username", "username", "created_at"),
    )


class UserSecurity(Base):
    """Per-user factors beside the password: forced change, TOTP, SSO subject."""

    __tablename__ = "user_security"

    username: Mapped[str] = mapped_column(String(64), ForeignKey("users.username"), primary_key=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigId, nullable=True)
    recovery_codes: Mapped[str] = mapped_column(Text, default="")  # space-separated SHA-256 hashes
    external_subject: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)


class SsoSignIn(Base):
    """An OpenID Connect identity (issuer, subject, issue time, nonce) already used to sign in.

    ``id`` is the SHA-256 of those values: the same identity never opens a second session.
    Rows older than the accepted identity age are purged (such identities are refused anyway).
    """

    __tablename__ = "sso_sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[utc]

    __table_args__ = (Index("ix_sso_sign_ins_created", "created_at"),)


# Expired throttle rows are purged by their window start (see ``bo_core.security.throttle``).
Index("ix_login_throttle_window", LoginThrottle.window_start)
