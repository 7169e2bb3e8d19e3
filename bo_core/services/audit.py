"""The audit trail: one function appends, one verifies the hash chain.

Each record's ``hash`` covers the previous record's hash, the record's own
content (canonical JSON, ``hashed_payload``) and, since hash version 1, a keyed
MAC (``bo_core.services.chain``). Changing, deleting or reordering any record
breaks the chain from there on; ``verify_chain`` reports the first break and
any gap in the sequence numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bo_core.db.locks import serialize_audit_appends
from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import Actor
from bo_core.domain.permissions import Permission
from bo_core.security.audit_key import audit_key
from bo_core.services import chain
from bo_core.services.access import require
from bo_core.services.context import Context
from bo_core.services.origin import current_origin

GENESIS = chain.GENESIS

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


# Hash version 1 (keyed) adds the request's origin. A column added later joins a
# new version's tuple here (version 2 = version 1 + the new columns; raise
# chain.CURRENT_VERSION), never an existing one: the records already written, and
# the seal written by the 0012 migration, were hashed over exactly these fields.
_HASHED_V1 = (
    *_HASHED,
    *_HASHED_WHEN_SET,
    "reason_code",
    "reason_note",
    "channel",
    "session_ref",
    "os_user",
    "hash_version",
)
_FIELDS_BY_VERSION = {0: _HASHED, chain.KEYED: _HASHED_V1}


def hashed_payload(record: AuditRecord) -> str:
    """The canonical text of the fields the record's hash version covers."""
    version = record.hash_version or 0
    fields = _FIELDS_BY_VERSION.get(version, _HASHED_V1)  # an unknown version fails in chain_hash
    content: dict[str, Any] = {name: getattr(record, name) for name in fields}
    if version == 0:  # the unkeyed records: a later field only when set (older ones lack it)
        content.update({n: getattr(record, n) for n in _HASHED_WHEN_SET if getattr(record, n) is not None})
    return chain.canonical(content)


def record_digest(prev_hash: str, record: AuditRecord, key: bytes | None = None) -> str:
    return chain.chain_hash(prev_hash, hashed_payload(record), record.hash_version or 0, key)


def append(session: Session, record: AuditRecord) -> AuditRecord:
    """Add ``record`` at the end of the chain, inside the caller's transaction.

    On PostgreSQL an advisory transaction lock serializes appenders so that the
    chain order is the commit order; SQLite's write lock already does.
    """
    if record.channel is None:
        origin = current_origin()
        record.channel, record.session_ref, record.os_user = (
            origin.channel,
            origin.session_ref,
            origin.os_user,
        )
    record.hash_version = chain.CURRENT_VERSION
    key = audit_key(session.get_bind().engine.url)
    serialize_audit_appends(session)
    last = session.execute(
        select(AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).scalar_one_or_none()
    record.prev_hash = last or GENESIS
    record.hash = record_digest(record.prev_hash, record, key)
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
    # (last seq present, next seq present) wherever numbers are missing in between.
    gaps: tuple[tuple[int, int], ...] = field(default=())
    unkeyed: int = 0  # records written before keyed MACs (hash version 0)


@dataclass
class ChainWalk:
    """The running state of a walk along one chain (shared by both chains' verifiers)."""

    key_source: Any  # the engine URL the key belongs to
    prev: str = GENESIS
    count: int = 0
    last_seq: int = 0
    unkeyed: int = 0
    keyed_seen: bool = False
    tail_keyed: bool = False
    gaps: list[tuple[int, int]] = field(default_factory=list)
    _key: bytes | None = None

    def check(
        self, seq: int, version: int, prev_hash: str | None, stored: str | None, payload: str
    ) -> str | None:
        """The problem with the next record, or ``None`` (then it becomes the tail)."""
        self.count += 1
        if seq != self.last_seq + 1:
            self.gaps.append((self.last_seq, seq))
        if prev_hash != self.prev:
            missing = f" (seq {self.last_seq + 1}..{seq - 1} missing)" if seq > self.last_seq + 1 else ""
            return f"chain broken before this record{missing}: a record was deleted, inserted or reordered"
        if version == 0 and self.keyed_seen:
            return "record without the keyed MAC after keyed records (rewritten)"
        if version != 0:
            if self._key is None:
                self._key = audit_key(self.key_source)
            self.keyed_seen = True
        else:
            self.unkeyed += 1
        self.tail_keyed = version != 0
        try:
            expected = chain.chain_hash(self.prev, payload, version, self._key)
        except ValueError as exc:
            return f"record cannot be verified: {exc}"
        if expected != stored:
            return "record content does not match its hash (modified, or written without the audit key)"
        self.prev, self.last_seq = stored, seq
        return None

    def report(self, ok: bool = True, seq: int | None = None, problem: str | None = None) -> ChainReport:
        if ok and self.count and not self.tail_keyed:
            # Older records are authenticated by the first keyed one after them (its MAC covers
            # their last hash); `bo db upgrade` seals a trail that ends with them.
            ok, seq = False, self.last_seq
            problem = "the last record has no keyed MAC: the chain was rewritten without the key"
        return ChainReport(ok, self.count, seq, problem, tuple(self.gaps), self.unkeyed)


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first modified, deleted or reordered record, and gaps."""
    walk = ChainWalk(session.get_bind().engine.url)
    while True:
        rows = (
            session.execute(
                select(AuditRecord)
                .where(AuditRecord.seq > walk.last_seq)
                .order_by(AuditRecord.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return walk.report()
        for row in rows:
            problem = walk.check(row.seq, row.hash_version or 0, row.prev_hash, row.hash, hashed_payload(row))
            if problem is not None:
                return walk.report(False, row.seq, problem)
        session.expunge_all()


def verify_audit_chain(ctx: Context, *, actor: Actor) -> ChainReport:
    """``verify_chain`` over the whole trail, for an actor allowed to read the history."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.uow() as uow:
        return verify_chain(uow.session)
