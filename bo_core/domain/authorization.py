"""Who may act: the one place a role or a user's state is checked.

Order of checks, decided once, for every caller (dashboard, command line):

1. the actor: a request names who it acts for; a signed-in user must exist and
   be active (``missing_actor``, ``actor_refusal``);
2. for an operation, the spec's order: type, status, balances, then the role
   (``availability.refusal``, which ends with ``role_refusal``); for a read or
   an administration task, the role (``role_refusal``).

The executor and the details page call the same ``availability.refusal``, so
the dashboard and the command line give the same reason for the same request.

The command line and the process's own start-up act as ``SYSTEM``: they hold
the database credentials already, so no role applies to them. Nobody else can
obtain it; the dashboard always passes the signed-in username.
"""

from __future__ import annotations

from dataclasses import dataclass

from bo_core.domain import result_codes as rc
from bo_core.domain.errors import PermissionDenied
from bo_core.domain.permissions import Permission, Role


@dataclass(frozen=True)
class SystemActor:
    """The operator at the ``bo`` command line, or the process bootstrapping itself."""

    name: str = "system"

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()
Actor = str | SystemActor
"""A signed-in user's username, or ``SYSTEM``."""

USERNAME_MAX = 64


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def missing_actor(actor: object) -> PermissionDenied | None:
    """Refuse a request that does not say who it acts for (deny by default)."""
    if isinstance(actor, SystemActor):
        return None
    if not isinstance(actor, str) or not actor.strip():
        return PermissionDenied("No user: every request must name the user it acts for")
    if len(actor) > USERNAME_MAX or not actor.isprintable():
        return PermissionDenied(f"User {actor[:USERNAME_MAX]!r} is unknown or disabled")
    return None


def actor_refusal(username: str, *, known: bool, active: bool) -> PermissionDenied | None:
    """Refuse an unknown or disabled user."""
    if not known:
        return PermissionDenied(f"User {username[:USERNAME_MAX]!r} is unknown or disabled")
    if not active:
        return PermissionDenied(f"User {username[:USERNAME_MAX]!r} is disabled", rc.USER_DISABLED)
    return None


def role_refusal(role: Role, permission: Permission, action: str | None = None) -> PermissionDenied | None:
    """Refuse a role without ``permission``; ``action`` names it in words ("run capture")."""
    if role.can(permission):
        return None
    what = f"may not {action}" if action else f"lacks the permission {permission.value}"
    return PermissionDenied(f"Role {role.name!r} {what}")
