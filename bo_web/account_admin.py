"""Account administration actions for the Users page (each checks users:manage in the core)."""

from __future__ import annotations

from bo_core.domain.authorization import Actor
from bo_core.security.credentials import admin_reset_password, require_password_change, revoke_sessions
from bo_core.services import users
from bo_core.services.context import Context

__all__ = ["admin_reset_password", "create_with_temporary_password", "revoke_sessions"]


def create_with_temporary_password(
    ctx: Context,
    username: str,
    role: str,
    password: str,
    name: str | None,
    email: str | None,
    *,
    actor: Actor,
) -> users.User:
    """An administrator chose the password: the new user must choose their own at first sign-in."""
    user = users.create_user(ctx, username, role, password, name, email, actor=actor)
    require_password_change(ctx, user.username)
    return user
