"""One ingest function for everything the gateway tells bo (imports and webhooks).

For each record:
- known by its gateway id: updated only if bo has it PENDING and the gateway
  has moved on (an audited status change), else unchanged;
- the answer to one of bo's own pending attempts (same parent, reference and
  type): that child is finalized and takes the gateway's id;
- new, with its parent known (or no parent): added, with source ``gateway``;
- new, its parent not known yet: kept in ``gateway_inbox`` and stored as soon
  as the parent arrives (out-of-order notifications end up stored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bo_core.db.gateway_models import GatewayInbox
from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.types import Source, Status
from bo_core.services import gateway_status as gs
from bo_core.services.context import Context
from bo_core.services.execute import _insert
from bo_core.services.gateway_records import UnstorablePayload, _hex32, _text, check, gateway_type, to_row

ADDED, UPDATED, UNCHANGED, SKIPPED, KEPT = "added", "updated", "unchanged", "skipped", "kept"


@dataclass
class Ingested:
    outcome: str
    uuid: str | None
    drained: int = 0
    """Records waiting in the inbox for this one that were stored with it."""


def ingest(ctx: Context, record: dict[str, Any], actor: str) -> Ingested:
    """Store one record in its own transaction; raises ``UnstorablePayload`` (nothing written)."""
    for attempt in range(3):
        try:
            with ctx.db.uow(write=True) as uow:
                result = ingest_in(uow.session, ctx, record, actor)
                uow.commit()
                return result
        except IntegrityError:
            if attempt == 2:  # a concurrent delivery stored it first; the next try sees it
                raise
    raise AssertionError("unreachable")


def ingest_in(s: Session, ctx: Context, record: dict[str, Any], actor: str) -> Ingested:
    """Store one record inside the caller's transaction."""
    if not isinstance(record, dict):
        raise UnstorablePayload("the payload is not an object")
    gid = _hex32(_text(record, "id"), "id")
    tx_type = gateway_type(record)
    if tx_type is None:
        return Ingested(SKIPPED, gid)
    code = _text(record, "result", "code") or ""
    if not rc.is_valid_code(code):
        raise UnstorablePayload("result.code is missing or malformed")
    known = s.execute(
        select(TransactionRow).where(TransactionRow.uuid == gid).with_for_update()
    ).scalar_one_or_none()
    if known is not None:
        return Ingested(UPDATED if _move_on(s, ctx, known, record, code, actor) else UNCHANGED, gid)
    ref = _text(record, "referencedId")
    parent = None
    if ref is not None:
        ref = _hex32(ref, "referencedId")
        parent = s.execute(select(TransactionRow).where(TransactionRow.uuid == ref)).scalar_one_or_none()
        if parent is None:
            return _keep(s, ctx, gid, ref, record, actor)
        mtid = _text(record, "merchantTransactionId")
        attempt = gs.find_pending_attempt(s, ref, mtid, tx_type.value) if mtid else None
        if attempt is not None:
            to_row(record, ctx.settings.gateway, parent)  # validates before anything changes
            changed = gs.finalize(
                s,
                ctx,
                attempt,
                code=code,
                description=_description(record, code),
                gateway_id=gid,
                actor=actor,
            )
            return Ingested(UPDATED if changed else UNCHANGED, gid)  # (finalize drained the inbox)
    row = to_row(record, ctx.settings.gateway, parent)
    _insert(s, row)
    s.execute(delete(GatewayInbox).where(GatewayInbox.gateway_id == gid))
    return Ingested(ADDED, gid, drain(s, ctx, gid))


def _description(record: dict[str, Any], code: str) -> str:
    return (_text(record, "result", "description") or rc.describe(code))[:255]


def _move_on(
    s: Session, ctx: Context, row: TransactionRow, record: dict[str, Any], code: str, actor: str
) -> bool:
    """A pending row the gateway has since finalized changes; nothing else does."""
    if row.status != Status.PENDING.value or code == row.result_code:
        return False
    if row.parent_uuid is not None:
        return gs.finalize(
            s, ctx, row, code=code, description=_description(record, code), gateway_id=None, actor=actor
        )
    if rc.status_of(code) is Status.PENDING and row.source != Source.BACK_OFFICE.value:
        return False
    s.execute(
        update(TransactionRow)
        .where(TransactionRow.id == row.id, TransactionRow.status == Status.PENDING.value)
        .values(
            result_code=code, result_description=_description(record, code), status=rc.status_of(code).value
        )
        .execution_options(synchronize_session=False)
    )
    return True


def _keep(s: Session, ctx: Context, gid: str, ref: str, record: dict[str, Any], actor: str) -> Ingested:
    """Hold a record whose parent is unknown until the parent arrives."""
    check(record)
    waiting = s.execute(select(GatewayInbox.id).where(GatewayInbox.gateway_id == gid)).first()
    if waiting is None:
        s.add(
            GatewayInbox(
                gateway_id=gid,
                referenced_id=ref,
                payload=json.dumps(record),
                actor=actor,
                received_at=ctx.now(),
            )
        )
        s.flush()
    return Ingested(KEPT, gid)


def drain(s: Session, ctx: Context, parent_uuid: str) -> int:
    """Store the records that were waiting for ``parent_uuid`` (and theirs, recursively)."""
    waiting = list(s.execute(select(GatewayInbox).where(GatewayInbox.referenced_id == parent_uuid)).scalars())
    stored = 0
    for item in waiting:
        record, actor = json.loads(item.payload), item.actor
        s.delete(item)
        s.flush()
        try:
            result = ingest_in(s, ctx, record, actor)
        except UnstorablePayload:
            continue  # it can never be stored; dropping it is all that is left
        stored += (result.outcome in (ADDED, UPDATED)) + result.drained
    return stored
