"""Seal the trails written before keyed MACs: one keyed record after the last old one.

Run by the migration that introduces the MAC (``0012_audit_controls``). The
sealing record's MAC covers the last old hash, so the old records, which keep
their unkeyed hashes, can no longer be rewritten without the key either; and
``verify`` refuses a chain whose last record has no keyed MAC (a trail
"downgraded" to the old hashes by someone without the key).

Inserts name their columns one by one: a column added by a later migration is
absent at this revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select

from bo_core.db.models import AuditRecord
from bo_core.db.security_models import SecurityEvent
from bo_core.domain import result_codes as rc
from bo_core.security import event_chain
from bo_core.security.audit_key import audit_key
from bo_core.services import audit, chain
from bo_core.services.origin import os_user

KIND = "chain_keyed"
MESSAGE = "From here on every record carries a keyed MAC (BO_AUDIT_KEY); the records before are sealed"


def seal_trails(conn: Connection) -> None:
    key = audit_key(conn.engine.url)
    now = datetime.now(UTC)
    _seal_audit(conn, key, now)
    _seal_events(conn, key, now)


def _seal_audit(conn: Connection, key: bytes, now: datetime) -> None:
    t = cast(Table, AuditRecord.__table__)
    last = conn.execute(select(t.c.hash, t.c.hash_version).order_by(t.c.seq.desc()).limit(1)).first()
    if last is None or last.hash_version != 0:
        return
    values = {
        "created_at": now,
        "username": "system",
        "operation": KIND,
        "parent_uuid": "",
        "outcome": "success",
        "result_code": rc.SUCCESS,
        "message": MESSAGE,
        "channel": "cli",
        "os_user": os_user(),
        "hash_version": chain.KEYED,
        "prev_hash": last.hash,
    }
    values["hash"] = audit.record_digest(last.hash, AuditRecord(**values), key)
    conn.execute(insert(t).values(**values))


def _seal_events(conn: Connection, key: bytes, now: datetime) -> None:
    t = cast(Table, SecurityEvent.__table__)
    last = conn.execute(select(t.c.hash).order_by(t.c.id.desc()).limit(1)).first()
    if last is None or last.hash is not None:
        return
    values = {
        "created_at": now,
        "kind": KIND,
        "actor": "system",
        "detail": MESSAGE,
        "channel": "cli",
        "os_user": os_user(),
        "hash_version": chain.KEYED,
        "prev_hash": chain.GENESIS,
    }
    row = SecurityEvent(**values)
    values["hash"] = chain.chain_hash(chain.GENESIS, event_chain.hashed_payload(row), chain.KEYED, key)
    conn.execute(insert(t).values(**values))
