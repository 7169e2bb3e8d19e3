"""Failed sign-in counters, reserved atomically before a password is checked.

Each attempt first *reserves* a slot with one statement (``INSERT ... ON CONFLICT
DO UPDATE ... RETURNING``, SQLite >= 3.35 and PostgreSQL), committed at once, so
parallel guesses can never overwrite each other's count. The password is checked
afterwards, outside any transaction; success clears the account's counter and gives
the address its slot back. Counters live in ``login_throttle``: the key is the
username for accounts and ``ip:<address>`` for client addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, case, delete, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bo_core.db.models import LoginThrottle, UTCDateTime
from bo_core.services.context import Context

ADDRESS_PREFIX = "ip:"


@dataclass(frozen=True)
class Reservation:
    key: str
    count: int  # attempts in the current window, this one included
    locked_until: datetime | None
    limit: int

    @property
    def refused(self) -> bool:
        return self.count > self.limit

    @property
    def just_locked(self) -> bool:
        """This attempt is the one that reached the limit (record the lockout once)."""
        return self.count == self.limit


def address_key(address: str) -> str:
    return f"{ADDRESS_PREFIX}{address}"[:64]


def reserve(session: Session, key: str, now: datetime, window: timedelta, limit: int) -> Reservation:
    """Count one attempt for ``key`` in a single statement; the caller commits at once."""
    table = cast(Table, LoginThrottle.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(key=key, failures=1, window_start=now, locked_until=None)
    at, until = literal(now, UTCDateTime()), literal(now + window, UTCDateTime())
    expired = or_(
        and_(table.c.locked_until.is_not(None), table.c.locked_until <= at),
        and_(table.c.locked_until.is_(None), table.c.window_start < literal(now - window, UTCDateTime())),
    )
    new_count = case((expired, literal(1)), else_=table.c.failures + 1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": new_count,
            "window_start": case((expired, at), else_=table.c.window_start),
            "locked_until": case(
                (expired, literal(None)),
                (
                    and_(table.c.locked_until.is_(None), table.c.failures + 1 >= limit),
                    until,
                ),
                else_=table.c.locked_until,
            ),
        },
    ).returning(table.c.failures, table.c.locked_until)
    count, locked_until = session.execute(upsert).one()
    if count >= limit and locked_until is None:  # the first attempt of a window at limit 1
        locked_until = now + window
        session.execute(update(table).where(table.c.key == key).values(locked_until=locked_until))
    return Reservation(key, int(count), locked_until, limit)


def clear(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def give_back(session: Session, key: str) -> None:
    """Undo one reservation (a successful sign-in does not count against its address)."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def purge_expired(ctx: Context) -> int:
    """Delete counters whose window and lock are over (names that do not exist pile up otherwise)."""
    now = ctx.now()
    window_start = now - timedelta(minutes=ctx.settings.lockout_minutes)
    with ctx.db.uow(write=True) as uow:
        result = uow.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.window_start < window_start,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            )
        )
        uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)
