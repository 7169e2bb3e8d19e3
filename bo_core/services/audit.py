"""The audit trail: one function appends, one verifies the hash chain.

Each record's ``hash`` is SHA-256 over the previous record's hash and the
record's own content (canonical JSON). Changing, deleting or reordering any
record breaks the chain from there on; ``verify_chain`` reports the first break.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bo_core.db.locks import serialize_audit_appends
from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import Actor
from bo_core.domain.permissions import Permission
from bo_core.services.access import require
from bo_core.services.context import Context

GENESIS = "0" * 64

# FROZEN FOREVER: every stored record's hash was computed over exactly these
# fields, in this form. Adding, removing, renaming or re-encoding one breaks the
# verification of every existing chain. A new audit column is stored unhashed, or
# goes into a new, versioned digest for records written after the change.
_HASHED = (
    "created_at",
    "username",
    "role",
    "operation",
    "parent_uuid",
    "child_uuid",
    "merchant",
    "currency",
    "amount_minor",
    "available_before_minor",
    "available_after_minor",
    "transaction_id",
    "usage",
    "memo",
    "outcome",
    "result_code",
    "message",
    "idempotency_key",
)
# Added later: hashed only when set, so a record written before the field existed
# (NULL) keeps its original hash and every old chain still verifies.
_HASHED_WHEN_SET = ("attempted_minor",)


def record_digest(prev_hash: str, record: AuditRecord) -> str:
    content: dict[str, Any] = {}
    for name in _HASHED:
        value = getattr(record, name)
        content[name] = value.isoformat() if hasattr(value, "isoformat") else value
    for name in _HASHED_WHEN_SET:
        if getattr(record, name, None) is not None:
            content[name] = getattr(record, name)
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def append(session: Session, record: AuditRecord) -> AuditRecord:
    """Add ``record`` at the end of the chain, inside the caller's transaction.

    On PostgreSQL an advisory transaction lock serializes appenders so that the
    chain order is the commit order; SQLite's write lock already does.
    """
    serialize_audit_appends(session)
    last = session.execute(
        select(AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).scalar_one_or_none()
    record.prev_hash = last or GENESIS
    record.hash = record_digest(record.prev_hash, record)
    table = cast(Table, AuditRecord.__table__)
    values = {c.key: getattr(record, c.key) for c in table.columns if c.key != "seq"}
    record.seq = session.execute(insert(table).returning(table.c.seq), values).scalar_one()
    return record


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first modified, deleted or reordered record."""
    prev = GENESIS
    count = 0
    last_seq = 0
    while True:
        rows = (
            session.execute(
                select(AuditRecord).where(AuditRecord.seq > last_seq).order_by(AuditRecord.seq).limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return ChainReport(ok=True, records=count)
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                return ChainReport(
                    ok=False,
                    records=count,
                    first_bad_seq=row.seq,
                    problem="chain broken before this record (a record was deleted, inserted or reordered)",
                )
            if record_digest(prev, row) != row.hash:
                return ChainReport(
                    ok=False,
                    records=count,
                    first_bad_seq=row.seq,
                    problem="record content does not match its hash (modified)",
                )
            prev = row.hash
            last_seq = row.seq
        session.expunge_all()


def verify_audit_chain(ctx: Context, *, actor: Actor) -> ChainReport:
    """``verify_chain`` over the whole trail, for an actor allowed to read the history."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.uow() as uow:
        return verify_chain(uow.session)
