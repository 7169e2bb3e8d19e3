"""Reading the security events: the Security events page and ``bo audit events``.

Requires ``security:events`` (admins by default). ``user`` matches the person
who acted or the user concerned; ``since`` is inclusive, ``until`` exclusive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from bo_core.db.security_models import SecurityEvent
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.domain.filters import parse_instant, parse_label
from bo_core.domain.permissions import Permission
from bo_core.security.events import KINDS
from bo_core.services.access import require
from bo_core.services.context import Context

MAX_LIMIT = 5000
__all__ = ["KINDS", "EventFilters", "SecurityEventView", "list_events", "parse_event_filters"]


@dataclass(frozen=True)
class EventFilters:
    user: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


@dataclass(frozen=True)
class SecurityEventView:
    seq: int
    at: datetime
    kind: str
    user: str | None  # who acted
    target: str | None  # the user or object concerned
    channel: str | None
    session: str | None
    os_user: str | None
    address: str | None
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``bo audit events --json`` shape (time in ISO 8601)."""
        data = dict(self.__dict__)
        data["at"] = self.at.isoformat()
        return data


def parse_event_filters(
    user: object = None, kind: object = None, since: object = None, until: object = None, limit: object = 200
) -> EventFilters:
    name = parse_label("User", user, 64)
    chosen = parse_label("Kind", kind, 32)
    if chosen is not None and chosen not in KINDS:
        raise InputError("Kind", f"{chosen[:32]!r} is unknown; use one of {', '.join(KINDS)}")
    start, end = parse_instant("Since", since), parse_instant("Until", until)
    if start is not None and end is not None and start >= end:
        raise InputError("Until", "must be later than Since (Since is inclusive, Until exclusive)")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError("Limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return EventFilters(name, chosen, start, end, limit)


def _details(text: str) -> dict[str, Any]:
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if isinstance(found, dict):
            return found
    return {"message": text} if text else {}


def _view(r: SecurityEvent) -> SecurityEventView:
    return SecurityEventView(
        seq=r.id,
        at=r.created_at,
        kind=r.kind,
        user=r.actor or r.username,
        target=r.username or r.target,
        channel=r.channel,
        session=r.session_ref,
        os_user=r.os_user,
        address=r.address,
        details=_details(r.detail or ""),
    )


def list_events(ctx: Context, filters: EventFilters, *, actor: Actor) -> list[SecurityEventView]:
    """Newest first, at most ``filters.limit``."""
    require(ctx, actor, Permission.SECURITY_EVENTS_VIEW)
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(filters.limit)
    if filters.user is not None:
        query = query.where(or_(SecurityEvent.actor == filters.user, SecurityEvent.username == filters.user))
    if filters.kind is not None:
        query = query.where(SecurityEvent.kind == filters.kind)
    if filters.since is not None:
        query = query.where(SecurityEvent.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(SecurityEvent.created_at < filters.until)
    with ctx.db.uow() as uow:
        return [_view(r) for r in uow.session.execute(query).scalars()]
