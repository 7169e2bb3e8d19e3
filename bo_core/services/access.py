"""Permission checks for read use cases (operations check their own, audited)."""

from __future__ import annotations

from bo_core.db.models import UserRow
from bo_core.domain.errors import PermissionDenied
from bo_core.domain.permissions import Permission, Role
from bo_core.services.context import Context

SYSTEM = None
"""``actor=None`` means the operator at the ``bo`` command line, who already
holds the database credentials; every signed-in user passes their username."""


def require(ctx: Context, actor: str | None, permission: Permission) -> Role | None:
    """Return the actor's role if it grants ``permission``; raise otherwise."""
    if actor is SYSTEM:
        return None
    with ctx.db.uow() as uow:
        user = uow.session.get(UserRow, actor)
        if user is None or not user.active:
            raise PermissionDenied(f"User {str(actor)[:64]!r} is unknown or disabled")
        role = ctx.settings.role(user.role)
    if not role.can(permission):
        raise PermissionDenied(f"Role {role.name!r} lacks the permission {permission.value}")
    return role


def role_of(ctx: Context, username: str) -> Role:
    with ctx.db.uow() as uow:
        user = uow.session.get(UserRow, username)
        if user is None or not user.active:
            raise PermissionDenied(f"User {str(username)[:64]!r} is unknown or disabled")
        return ctx.settings.role(user.role)
