"""Saved views of the Transactions page: filters, visible columns and their order, per user.

A view stores only the page's query parameters. Opening one runs the viewer's own
search with the viewer's own permissions, so a shared view never shows a viewer a
row they could not find themselves. Visibility: ``private`` (the owner only),
``link`` (anyone signed in who has its id), ``team`` (listed for everyone).
Others can open a shared view, never change it. Each user has at most one default.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bo_core.db.models import SavedViewRow
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError, NotFound, PermissionDenied
from bo_core.domain.permissions import Permission
from bo_core.services.access import require
from bo_core.services.context import Context

VISIBILITIES = ("private", "link", "team")
NAME_MAX = 80
VALUE_MAX = 300
# The Transactions page's filters (its only order is newest first) and its column choice.
PARAMS = frozenset(
    {"q", "period", "type", "status", "merchant", "currency", "brand", "min", "max", "from", "to", "cols"}
)


@dataclass(frozen=True)
class SavedView:
    id: str
    owner: str
    name: str
    params: dict[str, list[str]]
    visibility: str
    is_default: bool
    editable: bool  # True only for the owner

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _user(ctx: Context, actor: Actor) -> str:
    """Views belong to a signed-in user with ``transactions:view``; the system has none."""
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    if not isinstance(actor, str):
        raise PermissionDenied("Saved views belong to a signed-in user")
    return actor


def parse_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("Name", "is required")
    name = value.strip()
    if len(name) > NAME_MAX or not name.isprintable():
        raise InputError("Name", f"must be printable text of at most {NAME_MAX} characters")
    return name


def parse_params(params: object) -> dict[str, list[str]]:
    """Only the Transactions page's own parameters, as lists of short printable texts."""
    if not isinstance(params, dict):
        raise InputError("View", "parameters must be a mapping")
    clean: dict[str, list[str]] = {}
    for key, raw in params.items():
        if key not in PARAMS:
            continue  # the page number and anything foreign are not part of a view
        values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else None
        if values is None or not all(isinstance(v, str) for v in values) or len(values) > 50:
            raise InputError("View", f"parameter {str(key)[:20]!r} must be text")
        if any(len(v) > VALUE_MAX or not v.isprintable() for v in values):
            raise InputError("View", f"parameter {key!r} is too long or not printable")
        if values:
            clean[key] = values
    return clean


def parse_visibility(value: object) -> str:
    if value not in VISIBILITIES:
        raise InputError("Visibility", f"must be one of {', '.join(VISIBILITIES)}")
    return str(value)


def _view(row: SavedViewRow, actor: str) -> SavedView:
    return SavedView(
        row.id,
        row.owner,
        row.name,
        json.loads(row.params),
        row.visibility,
        row.is_default,
        row.owner == actor,
    )


def _own(s: Session, actor: str, view_id: str) -> SavedViewRow:
    row = s.get(SavedViewRow, str(view_id)[:32])
    if row is None or (row.owner != actor and row.visibility == "private"):
        raise NotFound("No such saved view")
    if row.owner != actor:
        raise PermissionDenied("A shared view can be opened, not changed, by others")
    return row


def _name_taken(s: Session, actor: str, name: str, other_than: str | None = None) -> bool:
    stmt = select(SavedViewRow.id).where(SavedViewRow.owner == actor, SavedViewRow.name == name)
    found = s.execute(stmt).scalar_one_or_none()
    return found is not None and found != other_than


def save_view(
    ctx: Context, name: object, params: object, *, actor: Actor, visibility: object = "private"
) -> SavedView:
    actor = _user(ctx, actor)
    clean_name, clean, vis = parse_name(name), parse_params(params), parse_visibility(visibility)
    now: datetime = ctx.now()
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        if _name_taken(s, actor, clean_name):
            raise InputError("Name", f"you already have a view named {clean_name!r}")
        row = SavedViewRow(
            id=uuidlib.uuid4().hex,
            owner=actor,
            name=clean_name,
            params=json.dumps(clean, sort_keys=True),
            visibility=vis,
            is_default=False,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        uow.commit()
        return _view(row, actor)


def list_views(ctx: Context, *, actor: Actor) -> list[SavedView]:
    """The actor's own views, then the team's shared ones, by name."""
    actor = _user(ctx, actor)
    with ctx.db.uow() as uow:
        stmt = (
            select(SavedViewRow)
            .where(or_(SavedViewRow.owner == actor, SavedViewRow.visibility == "team"))
            .order_by(SavedViewRow.owner != actor, SavedViewRow.name)
        )
        return [_view(r, actor) for r in uow.session.execute(stmt).scalars()]


def open_view(ctx: Context, view_id: str, *, actor: Actor) -> SavedView:
    actor = _user(ctx, actor)
    with ctx.db.uow() as uow:
        row = uow.session.get(SavedViewRow, str(view_id)[:32])
        if row is None or (row.owner != actor and row.visibility == "private"):
            raise NotFound("No such saved view (or it is not shared with you)")
        return _view(row, actor)


def _change(ctx: Context, actor: Actor, view_id: str, **values: Any) -> SavedView:
    actor = _user(ctx, actor)
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        row = _own(s, actor, view_id)
        if "name" in values and _name_taken(s, actor, values["name"], other_than=row.id):
            raise InputError("Name", f"you already have a view named {values['name']!r}")
        if values.get("is_default"):
            s.execute(update(SavedViewRow).where(SavedViewRow.owner == actor).values(is_default=False))
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = ctx.now()
        uow.commit()
        return _view(row, actor)


def rename_view(ctx: Context, view_id: str, name: object, *, actor: Actor) -> SavedView:
    return _change(ctx, actor, view_id, name=parse_name(name))


def share_view(ctx: Context, view_id: str, visibility: object, *, actor: Actor) -> SavedView:
    return _change(ctx, actor, view_id, visibility=parse_visibility(visibility))


def update_view(ctx: Context, view_id: str, params: object, *, actor: Actor) -> SavedView:
    return _change(ctx, actor, view_id, params=json.dumps(parse_params(params), sort_keys=True))


def set_default(ctx: Context, view_id: str, default: bool = True, *, actor: Actor) -> SavedView:
    return _change(ctx, actor, view_id, is_default=default)


def default_view(ctx: Context, *, actor: Actor) -> SavedView | None:
    actor = _user(ctx, actor)
    with ctx.db.uow() as uow:
        stmt = select(SavedViewRow).where(SavedViewRow.owner == actor, SavedViewRow.is_default.is_(True))
        row = uow.session.execute(stmt).scalars().first()
        return _view(row, actor) if row is not None else None


def delete_view(ctx: Context, view_id: str, *, actor: Actor) -> None:
    actor = _user(ctx, actor)
    with ctx.db.uow(write=True) as uow:
        uow.session.delete(_own(uow.session, actor, view_id))
        uow.commit()
