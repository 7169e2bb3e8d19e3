"""The actor of a request: looked up once, checked by ``domain.authorization``.

Every service that reads or writes on behalf of someone calls ``require``
first. ``actor`` is the signed-in username, or ``SYSTEM`` for the command
line and start-up; ``None`` or an empty name is refused (deny by default).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.models import UserRow, UserScope
from bo_core.domain.authorization import (
    SYSTEM,
    Actor,
    SystemActor,
    actor_refusal,
    is_system,
    missing_actor,
    role_refusal,
)
from bo_core.domain.errors import PermissionDenied
from bo_core.domain.permissions import Permission, Role
from bo_core.domain.scope import EVERYTHING, Node, Scope
from bo_core.services.context import Context

__all__ = [
    "SYSTEM",
    "Actor",
    "SystemActor",
    "require",
    "require_scoped",
    "require_system",
    "role_of",
    "scope_of",
]


def role_of(ctx: Context, actor: Actor) -> Role | None:
    """The role of a signed-in actor, ``None`` for ``SYSTEM``; refuse anyone else.

    Raises ``PermissionDenied`` for a missing actor and for an unknown or
    disabled user.
    """
    refused = missing_actor(actor)
    if refused is not None:
        raise refused
    if isinstance(actor, SystemActor):
        return None
    with ctx.db.uow() as uow:
        user = uow.session.get(UserRow, actor)
        refused = actor_refusal(actor, known=user is not None, active=bool(user and user.active))
        if refused is not None or user is None:
            raise refused or PermissionDenied("unknown user")
        return ctx.settings.role(user.role)


def require(ctx: Context, actor: Actor, permission: Permission) -> Role | None:
    """Return the actor's role (``None`` for ``SYSTEM``) if it grants ``permission``; raise otherwise."""
    role = role_of(ctx, actor)
    if role is not None:
        refused = role_refusal(role, permission)
        if refused is not None:
            raise refused
    return role


def require_system(actor: object, what: str) -> None:
    """Refuse anyone but ``SYSTEM`` (start-up and command-line tasks)."""
    if not is_system(actor):
        raise PermissionDenied(f"Only the system (command line, start-up) may {what}")


def scope_of(ctx: Context, actor: Actor) -> Scope:
    """The account-tree nodes the actor sees; everything for ``SYSTEM``, nothing without assignment."""
    if isinstance(actor, SystemActor):
        return EVERYTHING
    with ctx.db.uow() as uow:
        return scope_in(uow.session, actor)


def scope_in(session: Session, username: str) -> Scope:
    """The user's assignments, read in the caller's transaction."""
    rows = session.execute(select(UserScope).where(UserScope.username == username)).scalars()
    return Scope(frozenset(Node(r.merchant, r.channel or None) for r in rows))


def require_scoped(ctx: Context, actor: Actor, permission: Permission) -> tuple[Role | None, Scope]:
    """``require``, plus the actor's scope (services join it into their queries)."""
    role = require(ctx, actor, permission)
    return role, scope_of(ctx, actor)
