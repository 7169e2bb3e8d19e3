"""Every business rule holds in the generated demo chains (no database).

``chain_violations`` and ``reachable`` are shared with the integration tests,
which run them on rows read back from SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bo_core.demo import demo_rows
from bo_core.domain import result_codes as rc
from bo_core.domain.availability import AVAILABILITY, refusal
from bo_core.domain.balances import Balances, TxFacts, compute_balances
from bo_core.domain.money import Money
from bo_core.domain.permissions import Role, load_roles
from bo_core.domain.types import Operation, Status, TxType

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
TxRow = Mapping[str, Any]

# Refusals a transaction's own state can cause (role and amount refusals aside).
STATE_REFUSALS = {
    rc.WRONG_TYPE,
    rc.PARENT_PENDING,
    rc.PARENT_REJECTED,
    rc.CAPTURE_WINDOW_EXPIRED,
    rc.CAPTURE_EXCEEDS_AUTHORIZED,
    rc.ALREADY_PROCESSED,
    rc.NOTHING_TO_REVERSE,
    rc.ALREADY_CHARGED_BACK,
    rc.OPEN_CHARGEBACK,
    rc.REFUND_VOLUME_EXCEEDED,
}
ALLOWED_CHILDREN = {t: {op.child_type for op in ops} for t, ops in AVAILABILITY.items()}


def _facts(row: TxRow) -> TxFacts:
    return TxFacts(
        row["uuid"], TxType(row["type"]), Status(row["status"]), Money(row["amount_minor"], row["currency"])
    )


def _raw_available(parent: TxRow, b: Balances) -> int:
    """What is left before clamping at zero (the clamp would hide an overspend)."""
    match parent["type"]:
        case "PA":
            return (b.amount - b.captured - b.reversed).minor
        case "CP" | "DB" | "RB":
            return (b.amount - b.refunded - (b.charged_back - b.chargeback_reversed)).minor
        case "CB":
            return (b.amount - b.chargeback_reversed).minor
    return 0


class Ledger:
    """Rows grouped by parent, with balances computed by the domain's one function."""

    def __init__(self, rows: Iterable[TxRow]) -> None:
        self.rows = list(rows)
        self.by_uuid = {r["uuid"]: r for r in self.rows}
        self.children: dict[str, list[TxRow]] = defaultdict(list)
        for r in self.rows:
            if r["parent_uuid"]:
                self.children[r["parent_uuid"]].append(r)

    def balances(self, parent: TxRow, until: datetime | None = None) -> Balances:
        kids = [k for k in self.children.get(parent["uuid"], []) if until is None or k["created_at"] <= until]
        reversals = [
            (k["uuid"], _facts(cr))
            for k in kids
            if k["type"] == "CB" and parent["type"] != "CB"
            for cr in self.children.get(k["uuid"], [])
            if until is None or cr["created_at"] <= until
        ]
        return compute_balances(_facts(parent), [_facts(k) for k in kids], reversals)


def chain_violations(rows: Sequence[TxRow], now: datetime = NOW) -> list[str]:
    """Every broken rule, as readable lines (empty when all hold)."""
    ledger = Ledger(rows)
    bad: list[str] = []
    if len(ledger.by_uuid) != len(rows):
        bad.append("duplicate UUIDs")
    for r in rows:
        u = r["uuid"]
        if len(u) != 32 or u != u.lower() or any(c not in "0123456789abcdef" for c in u):
            bad.append(f"{u}: malformed UUID")
        if r["status"] != rc.status_of(r["result_code"]).value:
            bad.append(f"{u}: status {r['status']} does not follow {r['result_code']}")
        if r["result_description"] != rc.describe(r["result_code"]):
            bad.append(f"{u}: description does not match the result code")
        if r["created_at"] > now or r["created_at"] < now - timedelta(days=90, minutes=1):
            bad.append(f"{u}: created outside the last 90 days")
        if r["customer_email"] != r["customer_email"].lower():
            bad.append(f"{u}: e-mail not lowercased")
        if (r["holder"] or None) and r["holder_lc"] != r["holder"].lower():
            bad.append(f"{u}: holder_lc is not the lowercased holder")
        if r["source"] != "gateway":
            bad.append(f"{u}: source {r['source']}")
        parent = ledger.by_uuid.get(r["parent_uuid"]) if r["parent_uuid"] else None
        if r["parent_uuid"] and parent is None:
            bad.append(f"{u}: parent {r['parent_uuid']} missing")
        if parent is not None:
            if parent["status"] != "success":
                bad.append(f"{u}: child of a {parent['status']} parent")
            if TxType(r["type"]) not in ALLOWED_CHILDREN[TxType(parent["type"])]:
                bad.append(f"{u}: {r['type']} below {parent['type']}")
            if r["currency"] != parent["currency"] or r["merchant"] != parent["merchant"]:
                bad.append(f"{u}: currency or merchant differs from the parent")
            if r["created_at"] <= parent["created_at"]:
                bad.append(f"{u}: not created after its parent")
        if r["parent_uuid"] is None and r["type"] not in ("PA", "DB"):
            bad.append(f"{u}: {r['type']} without a parent")
    for uuid, kids in ledger.children.items():
        parent = ledger.by_uuid.get(uuid)
        if parent is not None:
            bad.extend(_history_violations(ledger, parent, kids))
    return bad


def _history_violations(ledger: Ledger, parent: TxRow, kids: list[TxRow]) -> list[str]:
    """Replay the children in time order: each step must have been allowed when it happened."""
    bad: list[str] = []
    u = parent["uuid"]
    for kid in sorted(kids, key=lambda k: k["created_at"]):
        before = ledger.balances(parent, kid["created_at"] - timedelta(microseconds=1))
        after = ledger.balances(parent, kid["created_at"])
        if _raw_available(parent, after) < 0:
            bad.append(f"{u}: overspent by {kid['type']} {kid['uuid']}")
        if kid["status"] == "rejected":
            continue
        kind = kid["type"]
        if kind == "CP" and (before.reversal_count or kid["created_at"] - parent["created_at"] > WINDOW):
            bad.append(f"{u}: capture after a reversal or outside the capture window")
        if kind == "RV" and (before.reversal_count or kid["amount_minor"] != before.available.minor):
            bad.append(f"{u}: reversal repeated or not of the whole open amount")
        if kind == "RF" and before.open_chargeback_count:
            bad.append(f"{u}: refund while a chargeback is open")
        if kind == "CB" and before.chargeback_count:
            bad.append(f"{u}: second chargeback")
        if kind == "CR" and before.chargeback_reversal_count:
            bad.append(f"{u}: second chargeback reversal")
    return bad


def reachable(
    rows: Sequence[TxRow], role: Role, now: datetime = NOW
) -> tuple[set[tuple[TxType, Operation]], set[str]]:
    """(type, operation) pairs some transaction offers, and the state refusals seen."""
    ledger = Ledger(rows)
    offered: set[tuple[TxType, Operation]] = set()
    refusals: set[str] = set()
    for r in rows:
        kind = TxType(r["type"])
        b = ledger.balances(r)
        for op in Operation:
            reason = refusal(op, kind, Status(r["status"]), r["created_at"], b, role, now, WINDOW)
            if reason is None:
                offered.add((kind, op))
            else:
                refusals.add(reason.result_code)
    return offered, refusals


ADMIN = load_roles(None)["admin"]
ALL_OFFERS = {(t, op) for t, ops in AVAILABILITY.items() for op in ops}


def test_ten_thousand_generated_rows_break_no_rule() -> None:
    rows = list(demo_rows(10_000, seed=3, now=NOW))
    assert len(rows) == 10_000
    assert chain_violations(rows) == []


def test_every_availability_row_and_every_state_refusal_is_reachable() -> None:
    rows = list(demo_rows(5_000, seed=42, now=NOW))
    offered, refusals = reachable(rows, ADMIN)
    assert offered == ALL_OFFERS
    assert refusals >= STATE_REFUSALS


def test_some_old_pre_authorizations_are_still_open_so_the_capture_window_shows() -> None:
    rows = list(demo_rows(5_000, seed=42, now=NOW))
    ledger = Ledger(rows)
    old_open = [
        r
        for r in rows
        if r["type"] == "PA"
        and r["status"] == "success"
        and NOW - r["created_at"] > WINDOW
        and ledger.balances(r).available.minor > 0
        and ledger.balances(r).reversal_count == 0
    ]
    assert len(old_open) >= 10


def test_the_rule_checker_catches_an_overspent_refund_and_a_child_of_a_rejected_parent() -> None:
    rows = [dict(r) for r in demo_rows(3_000, seed=5, now=NOW)]
    refund = next(r for r in rows if r["type"] == "RF" and r["status"] == "success")
    refund["amount_minor"] += 10**9
    rejected = next(
        r
        for r in rows
        if r["status"] == "rejected" and r["parent_uuid"] is None and r["currency"] == refund["currency"]
    )
    orphan = {**refund, "uuid": "f" * 32, "parent_uuid": rejected["uuid"], "amount_minor": 1}
    found = chain_violations([*rows, orphan])
    assert any("overspent by RF" in line for line in found)
    assert any("child of a rejected parent" in line for line in found)
