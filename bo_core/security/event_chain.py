"""The security events' hash chain: append under a lock, verify like the audit trail.

Same construction as the audit chain (``bo_core.services.chain``): each event's
hash covers the previous event's hash, its content and a MAC under
``BO_AUDIT_KEY``. Events written before the chain existed (no hash) may only
precede the first chained one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bo_core.db.security_models import SecurityEvent
from bo_core.security.audit_key import audit_key
from bo_core.services import chain
from bo_core.services.audit import ChainReport, ChainWalk

EVENT_CHAIN_LOCK_ID = 0x6B6F_0A0E  # PostgreSQL advisory lock serializing event appends

_HASHED_V1 = (
    "created_at",
    "kind",
    "username",
    "address",
    "actor",
    "detail",
    "target",
    "channel",
    "session_ref",
    "os_user",
    "hash_version",
)


def hashed_payload(row: SecurityEvent) -> str:
    content: dict[str, Any] = {name: getattr(row, name) for name in _HASHED_V1}
    return chain.canonical(content)


def append(session: Session, row: SecurityEvent) -> None:
    """Chain ``row`` to the last event and add it, inside the caller's transaction."""
    key = audit_key(session.get_bind().engine.url)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": EVENT_CHAIN_LOCK_ID})
    session.flush()  # earlier events of this transaction are in the chain first
    last = session.execute(
        select(SecurityEvent.hash)
        .where(SecurityEvent.hash.is_not(None))
        .order_by(SecurityEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    row.hash_version = chain.CURRENT_VERSION
    row.prev_hash = last or chain.GENESIS
    row.hash = chain.chain_hash(row.prev_hash, hashed_payload(row), row.hash_version, key)
    session.add(row)
    session.flush()


def verify_events(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the events in order; the first modified, deleted or reordered one, and the gaps."""
    walk = ChainWalk(session.get_bind().engine.url)
    chained = False
    while True:
        rows = (
            session.execute(
                select(SecurityEvent)
                .where(SecurityEvent.id > walk.last_seq)
                .order_by(SecurityEvent.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return walk.report()
        for row in rows:
            if row.hash is None and not chained:  # recorded before the chain existed
                walk.count += 1
                walk.unkeyed += 1
                walk.last_seq = row.id
                walk.tail_keyed = False
                continue
            chained = True
            problem = walk.check(row.id, row.hash_version or 0, row.prev_hash, row.hash, hashed_payload(row))
            if problem is not None:
                return walk.report(False, row.id, problem)
        session.expunge_all()
