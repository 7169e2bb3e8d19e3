"""Merchant-scoped users: assign and unassign nodes of the account tree.

Requires ``users:manage``; an administrator grants (and withdraws) only nodes
inside their own scope (``SYSTEM`` holds the root). A new user has no
assignment and sees nothing until one is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bo_core.db.models import UserRow, UserScope
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import NotFound, PermissionDenied
from bo_core.domain.permissions import Permission
from bo_core.domain.scope import Node, parse_node
from bo_core.security import events
from bo_core.services.access import require_scoped
from bo_core.services.context import Context


def _node_details(node: Node) -> dict[str, object]:
    return {"merchant": node.merchant, "channel": node.channel}


@dataclass(frozen=True)
class UserScopeView:
    username: str
    role: str
    active: bool
    scope: list[dict[str, str | None]]

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "active": self.active, "scope": self.scope}


def _check_grantor(ctx: Context, actor: Actor, node: Node) -> None:
    _, held = require_scoped(ctx, actor, Permission.USERS_MANAGE)
    if not held.holds(node):
        raise PermissionDenied(f"You may grant or withdraw only what you hold yourself; not {node.label()}")


def assign(
    ctx: Context, username: str, merchant: str, channel: str | None = None, *, actor: Actor
) -> UserScopeView:
    """Grant ``username`` the node (and everything below it); idempotent."""
    node = parse_node(merchant, channel)
    _check_grantor(ctx, actor, node)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        if s.get(UserRow, username) is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        key = (username, node.merchant, node.channel or "")
        if s.get(UserScope, key) is None:
            events.record_security_event(
                ctx,
                events.SCOPE_ASSIGNED,
                username=username,
                actor=actor,
                details=_node_details(node),
                session=s,
            )
            s.add(
                UserScope(
                    username=username,
                    merchant=node.merchant,
                    channel=node.channel or "",
                    granted_by=str(actor),
                    granted_at=ctx.now(),
                )
            )
        uow.commit()
    return user_scope(ctx, username, actor=actor)


def unassign(
    ctx: Context, username: str, merchant: str, channel: str | None = None, *, actor: Actor
) -> UserScopeView:
    """Withdraw exactly that assignment (not the nodes below it assigned separately); idempotent."""
    node = parse_node(merchant, channel)
    _check_grantor(ctx, actor, node)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        if s.get(UserRow, username) is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        found = s.get(UserScope, (username, node.merchant, node.channel or ""))
        if found is not None:  # withdrawing what is not assigned changes nothing
            s.delete(found)
            events.record_security_event(
                ctx,
                events.SCOPE_UNASSIGNED,
                username=username,
                actor=actor,
                details=_node_details(node),
                session=s,
            )
        uow.commit()
    return user_scope(ctx, username, actor=actor)


def user_scope(ctx: Context, username: str, *, actor: Actor) -> UserScopeView:
    """A user's role, state and assignments (``users:manage``)."""
    require_scoped(ctx, actor, Permission.USERS_MANAGE)
    with ctx.db.uow() as uow:
        s = uow.session
        user = s.get(UserRow, username)
        if user is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        rows = s.execute(
            select(UserScope)
            .where(UserScope.username == username)
            .order_by(UserScope.merchant, UserScope.channel)
        ).scalars()
        nodes = [{"merchant": r.merchant, "channel": r.channel or None} for r in rows]
        return UserScopeView(user.username, user.role, user.active, nodes)
