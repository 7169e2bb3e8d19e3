"""A realistic operation history for the demo: weeks of attempts by the demo users.

Every attempt goes through ``run_operation`` (the real rules, children and audit
chain), with the clock set to a moment in the past weeks: captures, partial
refunds and chargebacks that succeed, and the refusals a team really meets
(over-refunds, a viewer or analyst without the permission, a late capture, an
operation out of the user's merchants). The charts of the Operation History then
say something on the first start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from random import Random

from sqlalchemy import func, select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain.errors import BoError
from bo_core.domain.money import Money
from bo_core.domain.reasons import OTHER
from bo_core.domain.types import Status, TxType
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation

DAYS = 28
PER_DAY = (3, 9)  # attempts per day, drawn uniformly
# Who acts, and how often (the demo users of ``generate.DEMO_USERS``).
ACTORS = (("analyst", 40), ("manager", 25), ("analyst-eu", 15), ("admin", 10), ("viewer", 5))


@dataclass(frozen=True)
class _Parent:
    uuid: str
    type: str
    currency: str
    amount_minor: int
    created_at: datetime


def _parents(ctx: Context, limit: int = 3000) -> list[_Parent]:
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(
            select(
                TransactionRow.uuid,
                TransactionRow.type,
                TransactionRow.currency,
                TransactionRow.amount_minor,
                TransactionRow.created_at,
            )
            .where(
                TransactionRow.type.in_([TxType.DB, TxType.PA, TxType.CP]),
                TransactionRow.status == Status.SUCCESS,
            )
            .order_by(TransactionRow.id)
            .limit(limit)
        ).all()
    return [_Parent(r[0], str(getattr(r[1], "value", r[1])), r[2], int(r[3]), r[4]) for r in rows]


REFUND_REASONS = ("requested_by_customer", "duplicate", "fraudulent", OTHER)
CHARGEBACK_REASONS = ("fraudulent", "duplicate")


def _who(rng: Random) -> str:
    names = [name for name, _ in ACTORS]
    return rng.choices(names, weights=[w for _, w in ACTORS])[0]


def _request(rng: Random, parent: _Parent, username: str) -> OperationRequest:
    def amount(share: float) -> str:
        minor = max(1, int(parent.amount_minor * share))
        return Money(minor, parent.currency).to_str()

    if parent.type == TxType.PA.value:
        if rng.random() < 0.3:
            return OperationRequest("reversal", parent.uuid, username)
        return OperationRequest("capture", parent.uuid, username, amount=amount(rng.uniform(0.2, 0.6)))
    if rng.random() < 0.15:
        code = rng.choice(CHARGEBACK_REASONS)
        return OperationRequest(
            "chargeback", parent.uuid, username, amount=amount(rng.uniform(0.2, 1.0)), reason=code
        )
    # Mostly partial refunds; one in ten asks for more than is left (refused).
    share = rng.uniform(1.05, 1.6) if rng.random() < 0.1 else rng.uniform(0.05, 0.3)
    code = rng.choices(REFUND_REASONS, weights=[5, 2, 1, 1])[0]
    note = "goodwill gesture agreed by phone" if code == OTHER else None
    return OperationRequest(
        "refund", parent.uuid, username, amount=amount(share), reason=code, reason_note=note
    )


def write_demo_history(ctx: Context, seed: int = 42, days: int = DAYS) -> int:
    """Run the demo attempts of the last ``days`` days; return how many were recorded.

    Does nothing when the audit trail already has records.
    """
    with ctx.db.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(AuditRecord)).scalar_one():
            return 0
    parents = _parents(ctx)
    if not parents:
        return 0
    rng = Random(seed)
    now = ctx.now()
    moments: list[datetime] = []
    for day in range(days, 0, -1):
        start = now - timedelta(days=day)
        for _ in range(rng.randint(*PER_DAY)):
            # Office hours, UTC.
            moments.append(start.replace(hour=0, minute=0) + timedelta(minutes=rng.randint(7 * 60, 19 * 60)))
    recorded = 0
    for moment in sorted(moments):
        older = [p for p in parents if _eligible(p, moment)]
        if not older:
            continue
        parent = rng.choice(older)
        at = replace(ctx, clock=_fixed(moment))
        try:
            run_operation(at, _request(rng, parent, _who(rng)))
        except BoError:
            continue  # out of the user's merchants, an amount the currency refuses...
        recorded += 1
    return recorded


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _eligible(parent: _Parent, moment: datetime) -> bool:
    """Created before the attempt; a pre-authorization mostly still inside its capture window."""
    created = _aware(parent.created_at)
    if created >= moment - timedelta(hours=1):
        return False
    return parent.type != TxType.PA.value or created >= moment - timedelta(days=20)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
