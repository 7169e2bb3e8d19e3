"""Random operation sequences on random chains never break the ledger's invariants.

Each hypothesis example builds a new chain (PA or DB, random currency, status and
age) in one real SQLite file and submits random operations, amounts (including
over-limit and malformed ones), roles and retried idempotency keys through
``run_operation``. After each example the whole database is checked.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.errors import InputError
from bo_core.domain.money import minor_to_str
from bo_core.services.audit import verify_chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from tests.conftest import make_context
from tests.factories import Clock, add_tx, add_user, reason_for
from tests.factories import row_counts as counts

pytestmark = pytest.mark.slow  # hypothesis: hundreds of random chains

OPERATIONS = ["capture", "reversal", "refund", "chargeback", "chargeback_reversal", "rebill"]
ROLES = ["viewer", "analyst", "manager", "admin"]
PARENT_OF = {
    "CP": {"PA"},
    "RV": {"PA"},
    "RF": {"CP", "DB", "RB"},
    "CB": {"CP", "DB", "RB"},
    "CR": {"CB"},
    "RB": {"DB"},
}
ROOT_CODES = [rc.SUCCESS] * 6 + ["000.100.110", "000.200.000", "800.100.151"]


def chain_uuids(ctx: Context, root: str) -> list[str]:
    found, frontier = [root], [root]
    with ctx.db.uow() as uow:
        while frontier:
            kids = uow.session.execute(
                select(TransactionRow.uuid)
                .where(TransactionRow.parent_uuid.in_(frontier))
                .order_by(TransactionRow.id)
            ).scalars()
            frontier = list(kids)
            found += frontier
    return found


def amount_text(draw: Callable[[st.SearchStrategy[Any]], Any], currency: str, root_minor: int) -> str:
    exp = {"JPY": 0, "EUR": 2, "BHD": 3}[currency]
    kind = draw(st.sampled_from(["small", "small", "big", "exact_root", "huge", "malformed"]))
    if kind == "malformed":
        return str(draw(st.sampled_from(["", "0", "-1", "1e3", "abc", "1,5", "0." + "1" * (exp + 1)])))
    ranges = {
        "small": (1, max(1, root_minor // 2)),
        "big": (max(1, root_minor // 2), root_minor + 10),
        "exact_root": (root_minor, root_minor),
        "huge": (10**8, 10**11),
    }
    low, high = ranges[kind]
    return minor_to_str(int(draw(st.integers(low, high))), currency)


def check_invariants(ctx: Context) -> None:
    """The whole database, not only the chain under test, must be consistent."""
    with ctx.db.uow() as uow:
        s = uow.session
        rows = {r.uuid: r for r in s.execute(select(TransactionRow)).scalars()}
        live = [r for r in rows.values() if r.status != "rejected"]
        kids: dict[str, list[TransactionRow]] = {}
        for r in live:
            if r.parent_uuid:
                kids.setdefault(r.parent_uuid, []).append(r)

        def total(parent: str, tx_type: str) -> int:
            return sum(k.amount_minor for k in kids.get(parent, []) if k.type == tx_type)

        def num(parent: str, tx_type: str) -> int:
            return sum(1 for k in kids.get(parent, []) if k.type == tx_type)

        for r in rows.values():
            if r.source == "back_office":
                parent = rows[r.parent_uuid or ""]
                assert parent.type in PARENT_OF[r.type], (parent.type, r.type)
                assert parent.status == "success", "an operation was booked on a non-successful parent"
                assert r.currency == parent.currency and r.merchant == parent.merchant
                assert r.amount_minor > 0
        for r in live:
            if r.type == "PA":
                assert total(r.uuid, "CP") + total(r.uuid, "RV") <= r.amount_minor, (
                    "captured above authorized"
                )
                assert num(r.uuid, "RV") <= 1, "two reversals"
                reversals = [k for k in kids.get(r.uuid, []) if k.type == "RV"]
                if reversals:
                    later = [k for k in kids[r.uuid] if k.type == "CP" and k.id > reversals[0].id]
                    assert not later, "captured after a reversal"
            if r.type in ("CP", "DB", "RB"):
                cbs = [k for k in kids.get(r.uuid, []) if k.type == "CB"]
                assert len(cbs) <= 1, "two chargebacks on one parent"
                cb_total = sum(c.amount_minor for c in cbs)
                cr_total = sum(total(c.uuid, "CR") for c in cbs)
                open_cb = sum(c.amount_minor for c in cbs if num(c.uuid, "CR") == 0)
                refunded = total(r.uuid, "RF")
                assert refunded + open_cb <= r.amount_minor, "refunded + open chargebacks above collected"
                assert refunded + cb_total - cr_total <= r.amount_minor, "money out above collected"
            if r.type == "CB":
                assert num(r.uuid, "CR") <= 1, "two chargeback reversals"
                assert total(r.uuid, "CR") <= r.amount_minor, "chargeback reversal above chargeback"
        report = verify_chain(s)
        assert report.ok, report


def test_random_operation_sequences_keep_every_invariant(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    ctx = make_context(f"sqlite:///{tmp_path / 'prop.sqlite3'}", clock, capture_window=timedelta(days=30))
    people = {role: add_user(ctx, role) for role in ROLES}
    limits = {role: ctx.settings.role(role) for role in ROLES}
    totals: Counter[str] = Counter()

    @settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run_random_chain(data: st.DataObject) -> None:
        draw = data.draw
        currency = draw(st.sampled_from(["EUR", "JPY", "BHD"]))
        root_minor = draw(st.integers(1, 50_000))
        root = add_tx(
            ctx,
            draw(st.sampled_from(["PA", "DB"])),
            root_minor,
            currency=currency,
            result_code=draw(st.sampled_from(ROOT_CODES)),
            created_at=clock() - timedelta(days=draw(st.sampled_from([0, 1, 29, 31]))),
            merchant=f"m-{draw(st.integers(0, 2))}",
        )
        sent: list[OperationRequest] = []
        # Every draw below is made whatever the outcomes are, so that hypothesis can replay an example.
        for _ in range(draw(st.integers(1, 12))):
            retry = draw(st.integers(0, 5)) == 0
            op = draw(st.sampled_from(OPERATIONS))
            target = draw(st.integers(0, 30))
            role = draw(st.sampled_from(ROLES))
            amount = amount_text(draw, currency, root_minor)
            txid = draw(st.sampled_from([None, None, "unique", "shared"]))
            if retry and sent:
                request = sent[target % len(sent)]  # the same idempotency key again
            else:
                targets = chain_uuids(ctx, root)
                request = OperationRequest(
                    operation=op,
                    parent_uuid=targets[target % len(targets)],
                    username=people[role],
                    amount=None if op == "reversal" else amount,
                    transaction_id=None
                    if txid is None
                    else f"{txid}-{uuid.uuid4().hex[:8] if txid == 'unique' else root[:8]}",
                    idempotency_key=uuid.uuid4().hex,
                    reason=reason_for(op),
                )
            sent.append(request)
            before = counts(ctx)
            try:
                result = run_operation(ctx, request)
            except InputError:
                assert counts(ctx) == before, "an input error wrote something"
                totals["input_error"] += 1
                continue
            check_step(ctx, request, result, before)
            totals["replayed" if result.replayed else result.outcome] += 1
        check_invariants(ctx)

    def check_step(
        ctx: Context, request: OperationRequest, result: OperationResult, before: tuple[int, int]
    ) -> None:
        tx_now, audit_now = counts(ctx)
        if result.replayed:
            assert (tx_now, audit_now) == before, "a replay wrote something"
            return
        assert audit_now == before[1] + 1, "an attempt was not audited exactly once"
        if result.ok:
            assert tx_now == before[0] + 1, "a success did not create exactly one child"
            assert result.uuid is not None
            if request.operation == "rebill":
                role, booked = audited(ctx, result)
                limit = limits[role].rebill_limit(result.currency or "")
                assert limit is not None and booked <= limit.minor, "rebill above the role's limit"
        else:
            assert tx_now == before[0], "a refusal created a transaction"
            assert result.uuid is None and rc.is_valid_code(result.result_code)

    run_random_chain()
    ctx.db.dispose()
    # The run must have exercised both outcomes, replays and input errors.
    assert totals["success"] >= 5 and totals["refused"] >= 5, totals
    assert totals["replayed"] > 0 and totals["input_error"] > 0, totals


def audited(ctx: Context, result: OperationResult) -> tuple[str, int]:
    """(role, amount in minor units) of the audit record of a booked operation."""
    with ctx.db.uow() as uow:
        record = uow.session.execute(
            select(AuditRecord).where(AuditRecord.child_uuid == result.uuid)
        ).scalar_one()
        return record.role or "", record.amount_minor or 0
