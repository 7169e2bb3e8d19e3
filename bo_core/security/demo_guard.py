"""Demo mode only on a throw-away embedded database; a supported way to remove the demo users.

Demo mode creates users whose passwords are published. It is refused on
PostgreSQL, and on a SQLite file that holds anything but demo data: a user who
is not a demo user, or transactions while no demo user exists (data that did not
come from the demo loader).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bo_core.db.models import LoginThrottle, SavedViewRow, TransactionRow, UserRow, UserScope
from bo_core.db.security_models import SessionRow, UserSecurity
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import ConfigurationError
from bo_core.domain.permissions import Permission
from bo_core.security import events
from bo_core.services.access import require
from bo_core.services.context import Context


def demo_database_problem(ctx: Context, *, embedded_only: bool = True) -> str | None:
    """Why demo mode must not run on this database, or None when it is empty or demo-only.

    ``embedded_only=False`` (``bo demo --users``, an operator's explicit command) accepts a
    demo-only PostgreSQL database too."""
    if embedded_only and not ctx.db.is_sqlite:
        return (
            "Demo mode runs only on the embedded SQLite database, never on PostgreSQL: "
            "unset BO_DEMO_MODE, or point BO_DATABASE_URL at a new SQLite file."
        )
    with ctx.db.uow() as uow:
        s = uow.session
        real_user = s.execute(select(UserRow.username).where(UserRow.is_demo.is_(False)).limit(1)).first()
        demo_user = s.execute(select(UserRow.username).where(UserRow.is_demo).limit(1)).first()
        has_data = s.execute(select(TransactionRow.id).limit(1)).first()
    if real_user is not None:
        return (
            "Demo mode refuses this database: it has users who are not demo users "
            "(demo mode would add accounts with public passwords). Unset BO_DEMO_MODE, "
            "or use a new SQLite file."
        )
    if has_data is not None and demo_user is None:
        return (
            "Demo mode refuses this database: it holds transactions that the demo loader did not "
            "create. Unset BO_DEMO_MODE, or use a new SQLite file."
        )
    return None


def check_demo_database(ctx: Context) -> None:
    problem = demo_database_problem(ctx)
    if problem:
        raise ConfigurationError(problem)


def remove_demo_users(ctx: Context, *, actor: Actor) -> list[str]:
    """Delete every demo user (their sessions, merchant scopes and saved views go with them;
    the audit trail keeps their name).

    The actor must hold ``users:manage`` (``SYSTEM`` at the command line)."""
    require(ctx, actor, Permission.USERS_MANAGE)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        names = list(s.execute(select(UserRow.username).where(UserRow.is_demo)).scalars())
        if names:
            s.execute(delete(SessionRow).where(SessionRow.username.in_(names)))
            s.execute(delete(UserSecurity).where(UserSecurity.username.in_(names)))
            s.execute(delete(UserScope).where(UserScope.username.in_(names)))
            s.execute(delete(SavedViewRow).where(SavedViewRow.owner.in_(names)))
            s.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(names)))
            s.execute(delete(UserScope).where(UserScope.username.in_(names)))
            s.execute(delete(SavedViewRow).where(SavedViewRow.owner.in_(names)))
            s.execute(delete(UserRow).where(UserRow.username.in_(names)))
            events.record_security_event(
                ctx, events.DEMO_USERS_REMOVED, actor=str(actor), detail=", ".join(sorted(names)), session=s
            )
        uow.commit()
    return sorted(names)
