"""Reading transactions and their balances (shared by show and execute)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bo_core.db.models import TransactionRow
from bo_core.domain.balances import Balances, TxFacts, compute_balances
from bo_core.domain.errors import InputError, NotFound
from bo_core.domain.money import Money
from bo_core.domain.types import Status, TxType

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


def get_transaction(session: Session, uuid: str, *, lock: bool = False) -> TransactionRow:
    stmt = select(TransactionRow).where(TransactionRow.uuid == parse_uuid(uuid))
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

    def with_child(self, child: TransactionRow) -> Position:
        """The position once ``child`` (just written under ``row``) is added, without re-reading."""
        kids = [*self.children, child]
        balances = compute_balances(facts(self.row), [facts(k) for k in kids], self.chargeback_reversals)
        return Position(
            row=self.row, children=kids, balances=balances, chargeback_reversals=self.chargeback_reversals
        )


def position(session: Session, row: TransactionRow) -> Position:
    kids = children_of(session, row.uuid)
    cb_uuids = [k.uuid for k in kids if k.type == TxType.CB]
    cb_reversals: list[tuple[str, TxFacts]] = []
    if cb_uuids and row.type != TxType.CB:
        stmt = select(TransactionRow).where(TransactionRow.parent_uuid.in_(cb_uuids))
        cb_reversals = [(r.parent_uuid or "", facts(r)) for r in session.execute(stmt).scalars()]
    balances = compute_balances(facts(row), [facts(k) for k in kids], cb_reversals)
    return Position(row=row, children=kids, balances=balances, chargeback_reversals=tuple(cb_reversals))
