"""Reading transactions and their balances (shared by show and execute)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.models import ApprovalRequest, TransactionRow
from bo_core.db.scope_sql import transactions_in, where
from bo_core.domain.balances import Balances, TxFacts, compute_balances
from bo_core.domain.errors import InputError, NotFound
from bo_core.domain.money import Money
from bo_core.domain.scope import Scope
from bo_core.domain.types import ApprovalState, Operation, Status, TxType

UUID_LENGTH = 32


def parse_uuid(value: object) -> str:
    """A transaction UUID: 32 hex digits (dashes and case tolerated)."""
    if not isinstance(value, str):
        raise InputError("UUID", "must be text")
    text = value.strip().replace("-", "").lower()
    if len(text) != UUID_LENGTH or any(c not in "0123456789abcdef" for c in text):
        raise InputError("UUID", f"{value[:40]!r} is not a transaction UUID (32 hex digits)")
    return text


def facts(row: TransactionRow) -> TxFacts:
    return TxFacts(
        uuid=row.uuid,
        type=TxType(row.type),
        status=Status(row.status),
        amount=Money(row.amount_minor, row.currency),
    )


def get_transaction(
    session: Session, uuid: str, *, lock: bool = False, scope: Scope | None = None
) -> TransactionRow:
    """The transaction ``uuid``; one outside ``scope`` is "not found", exactly like a missing one."""
    stmt = select(TransactionRow).where(
        TransactionRow.uuid == parse_uuid(uuid), *where(transactions_in(scope))
    )
    if lock:
        stmt = stmt.with_for_update()  # row lock on PostgreSQL; ignored by SQLite
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No transaction with UUID {uuid}")
    return row


def children_of(session: Session, uuid: str) -> list[TransactionRow]:
    stmt = (
        select(TransactionRow)
        .where(TransactionRow.parent_uuid == uuid)
        .order_by(TransactionRow.created_at, TransactionRow.id)
    )
    return list(session.execute(stmt).scalars())


@dataclass(frozen=True)
class Position:
    """A transaction with its children and balances."""

    row: TransactionRow
    children: list[TransactionRow]
    balances: Balances
    chargeback_reversals: tuple[tuple[str, TxFacts], ...] = ()
    """The chargeback reversals below this transaction's chargebacks, as (chargeback UUID, facts)."""
    reserved: tuple[TxFacts, ...] = ()
    """Open approval requests, counted like pending children (they reserve their amount)."""

    def with_child(self, child: TransactionRow) -> Position:
        """The position once ``child`` (just written under ``row``) is added, without re-reading."""
        kids = [*self.children, child]
        balances = _balances(self.row, kids, self.chargeback_reversals, self.reserved)
        return replace(self, children=kids, balances=balances)


def _balances(
    row: TransactionRow,
    kids: list[TransactionRow],
    reversals: tuple[tuple[str, TxFacts], ...],
    reserved: tuple[TxFacts, ...],
) -> Balances:
    balances = compute_balances(facts(row), [*(facts(k) for k in kids), *reserved], reversals)
    held = Money.zero(row.currency)
    for item in reserved:
        held = held + item.amount
    return replace(balances, awaiting_approval=held) if reserved else balances


def open_requests(
    session: Session, parent_uuid: str, now: datetime | None, exclude: int | None = None
) -> list[ApprovalRequest]:
    """Open approval requests on ``parent_uuid`` that have not expired at ``now``."""
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.parent_uuid == parent_uuid, ApprovalRequest.state == ApprovalState.OPEN.value
    )
    if now is not None:
        stmt = stmt.where(ApprovalRequest.expires_at > now)
    if exclude is not None:
        stmt = stmt.where(ApprovalRequest.id != exclude)
    return list(session.execute(stmt.order_by(ApprovalRequest.id)).scalars())


def position(
    session: Session,
    row: TransactionRow,
    *,
    now: datetime | None = None,
    exclude_request: int | None = None,
) -> Position:
    """``row`` with its children and balances; open approval requests (unexpired at
    ``now``, all open ones without it) reserve their amounts, except ``exclude_request``."""
    kids = children_of(session, row.uuid)
    cb_uuids = [k.uuid for k in kids if k.type == TxType.CB]
    cb_reversals: list[tuple[str, TxFacts]] = []
    if cb_uuids and row.type != TxType.CB:
        stmt = select(TransactionRow).where(TransactionRow.parent_uuid.in_(cb_uuids))
        cb_reversals = [(r.parent_uuid or "", facts(r)) for r in session.execute(stmt).scalars()]
    reserved = tuple(
        TxFacts(
            uuid=f"approval-request-{r.id}",
            type=Operation(r.operation).child_type,
            status=Status.PENDING,
            amount=Money(r.amount_minor, r.currency),
        )
        for r in open_requests(session, row.uuid, now, exclude_request)
    )
    balances = _balances(row, kids, tuple(cb_reversals), reserved)
    return Position(
        row=row, children=kids, balances=balances, chargeback_reversals=tuple(cb_reversals), reserved=reserved
    )
