"""External anchor of the audit chain: the tail (sequence, hash, time) kept outside the database.

Truncating the chain's tail leaves a valid chain behind; only a copy of the tail
taken earlier and stored elsewhere (write-once storage, a ticket, a log system)
shows it. ``bo audit anchor`` prints it as one JSON line; ``bo audit verify
--anchor FILE`` fails when the records up to it are missing or changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.domain.permissions import Permission
from bo_core.services.access import require
from bo_core.services.audit import GENESIS, ChainReport, verify_chain
from bo_core.services.context import Context

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


def parse_anchor(text: str) -> Anchor:
    """The JSON line ``bo audit anchor`` printed (the last non-empty line of a file)."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        data: Any = json.loads(lines[-1]) if lines else None
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or isinstance(data.get("seq"), bool)
        or not isinstance(data.get("seq"), int)
        or data["seq"] < 0
        or not isinstance(data.get("hash"), str)
        or not _HEX64.fullmatch(data["hash"])
        or not isinstance(data.get("at"), str)
    ):
        raise InputError("Anchor", 'expected one JSON line {"seq": N, "hash": "<64 hex>", "at": "..."}')
    return Anchor(seq=data["seq"], hash=data["hash"], at=data["at"])


def audit_anchor(ctx: Context, *, actor: Actor) -> Anchor:
    """The current tail of the chain (``seq`` 0 and the genesis hash when it is empty)."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.uow() as uow:
        tail = uow.session.execute(
            select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
        ).first()
    at = ctx.now().isoformat()
    return (
        Anchor(seq=0, hash=GENESIS, at=at) if tail is None else Anchor(seq=int(tail[0]), hash=tail[1], at=at)
    )


def verify_against_anchor(ctx: Context, anchor: Anchor, *, actor: Actor) -> ChainReport:
    """``verify_chain``, then: the anchored record is still there, with the anchored hash."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    with ctx.db.uow() as uow:
        report = verify_chain(uow.session)
        if not report.ok or anchor.seq == 0:
            return report
        stored = uow.session.execute(
            select(AuditRecord.hash).where(AuditRecord.seq == anchor.seq)
        ).scalar_one_or_none()
    if stored is None:
        return ChainReport(
            ok=False,
            records=report.records,
            first_bad_seq=anchor.seq,
            problem=f"the anchored record seq={anchor.seq} is missing: the chain was truncated",
        )
    if stored != anchor.hash:
        return ChainReport(
            ok=False,
            records=report.records,
            first_bad_seq=anchor.seq,
            problem=f"the anchored record seq={anchor.seq} has another hash: records up to it were rewritten",
        )
    return report
