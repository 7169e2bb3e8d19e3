"""Chargeback ratios from one grouped query, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, PermissionDenied
from bo_core.services import risk, scopes
from bo_core.services.context import Context
from tests.conftest import make_context
from tests.factories import Clock, add_user

RISK_TOML = """
[visa]
brands = ["VISA"]
denominator = "same_month"
[[visa.levels]]
status = "excessive"
ratio = "0.015"
min_chargebacks = 2
source = "test"
effective = "2026-04-01"
[mastercard]
brands = ["MASTER"]
denominator = "previous_month"
[[mastercard.levels]]
status = "watch"
ratio = "0.01"
min_chargebacks = 2
source = "test"
effective = "2023-01-01"
[[mastercard.levels]]
status = "excessive"
ratio = "0.015"
min_chargebacks = 2
source = "test"
effective = "2023-01-01"
"""


@pytest.fixture(autouse=True)
def small_floors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(RISK_TOML, encoding="utf-8")
    monkeypatch.setenv("BO_RISK_FILE", str(path))


def add_rows(ctx: Context, spec: list[tuple[str, str, str, int, datetime, str]]) -> None:
    """(merchant, brand, type, count, created_at, result code)"""
    rows = []
    for merchant, brand, type_, count, when, code in spec:
        for _ in range(count):
            rows.append(
                TransactionRow(
                    uuid=uuid.uuid4().hex,
                    transaction_id=f"T-{uuid.uuid4().hex[:8]}",
                    type=type_,
                    amount_minor=1000,
                    currency="EUR",
                    result_code=code,
                    result_description="x",
                    status=rc.status_of(code).value,
                    merchant=merchant,
                    channel="web",
                    payment_method="CC",
                    brand=brand,
                    created_at=when,
                    source="gateway",
                )
            )
    with ctx.db.uow(write=True) as uow:
        uow.session.add_all(rows)
        uow.commit()


SEP = datetime(2026, 9, 15, tzinfo=UTC)
OCT = datetime(2026, 10, 10, tzinfo=UTC)
OCT_LAST = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
NOV = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
OK = rc.SUCCESS


def test_visa_divides_by_the_same_month_and_mastercard_by_the_previous_one(ctx: Context) -> None:
    add_rows(
        ctx,
        [
            ("alpha", "VISA", "DB", 60, OCT, OK),
            ("alpha", "VISA", "CP", 30, OCT_LAST, OK),
            ("alpha", "VISA", "RB", 10, OCT, OK),
            ("alpha", "VISA", "DB", 50, OCT, "800.100.152"),  # rejected sales do not count
            ("alpha", "VISA", "PA", 50, OCT, OK),  # nor pre-authorizations
            ("alpha", "VISA", "CB", 2, OCT, OK),
            ("alpha", "VISA", "CB", 1, OCT, "000.600.000"),  # external update: successful
            ("alpha", "VISA", "CB", 5, OCT, "800.100.152"),  # rejected chargebacks do not count
            ("alpha", "VISA", "CB", 7, NOV, OK),  # next month
            ("alpha", "VISA", "CB", 4, SEP, OK),  # previous month
            ("alpha", "MASTER", "DB", 400, SEP, OK),
            ("alpha", "MASTER", "DB", 10, OCT, OK),
            ("alpha", "MASTER", "CB", 5, OCT, OK),
            ("alpha", "AMEX", "CB", 9, OCT, OK),  # neither scheme
        ],
    )
    rows = risk.chargeback_ratios(ctx, date(2026, 10, 1), actor=SYSTEM)
    got = {(r.merchant, r.scheme): r.to_dict() for r in rows}
    assert got[("alpha", "visa")] == {
        "merchant": "alpha",
        "scheme": "visa",
        "month": "2026-10",
        "chargebacks": 3,
        "sales": 100,
        "ratio": 0.03,
        "threshold": 0.015,
        "status": "excessive",
    }
    mc = got[("alpha", "mastercard")]
    assert (mc["chargebacks"], mc["sales"], mc["ratio"], mc["status"]) == (5, 400, 0.0125, "watch")
    assert mc["threshold"] == 0.01
    assert len(rows) == 2


def test_merchants_are_ranked_worst_first_and_counts_below_the_floor_stay_fine(ctx: Context) -> None:
    add_rows(
        ctx,
        [
            ("calm", "VISA", "DB", 1000, OCT, OK),
            ("calm", "VISA", "CB", 1, OCT, OK),
            ("hot", "VISA", "DB", 100, OCT, OK),
            ("hot", "VISA", "CB", 5, OCT, OK),
            ("tiny", "VISA", "DB", 10, OCT, OK),
            ("tiny", "VISA", "CB", 1, OCT, OK),  # 10 % but one dispute: under the floor of 2
        ],
    )
    rows = risk.chargeback_ratios(ctx, date(2026, 10, 1), actor=SYSTEM)
    assert [(r.merchant, r.status) for r in rows] == [
        ("hot", "excessive"),
        ("tiny", "fine"),
        ("calm", "fine"),
    ]
    assert [
        r.merchant for r in risk.chargeback_ratios(ctx, date(2026, 10, 1), merchant="calm", actor=SYSTEM)
    ] == ["calm"]


def test_the_watch_has_a_twelve_month_trend_and_projects_the_running_month(ctx: Context) -> None:
    add_rows(
        ctx,
        [
            ("alpha", "VISA", "DB", 100, datetime(2025, 12, 5, tzinfo=UTC), OK),
            ("alpha", "VISA", "DB", 100, OCT, OK),
            ("alpha", "VISA", "DB", 10, NOV, OK),
            ("alpha", "VISA", "CB", 1, NOV, OK),
            ("alpha", "VISA", "DB", 100, datetime(2025, 11, 5, tzinfo=UTC), OK),  # outside the window
        ],
    )
    ctx.clock = lambda: datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # half of November has passed
    watch = risk.watch(ctx, date(2026, 11, 1), actor=SYSTEM)
    assert [r.month for r in watch.trend] == ["2025-12", "2026-10", "2026-11"]
    assert watch.ranked[0].chargebacks == 1 and watch.ranked[0].sales == 10
    projected = watch.projection[0]
    assert projected.projected and projected.chargebacks == 2 and projected.sales == 20
    assert projected.status == "excessive"
    assert risk.watch(ctx, date(2026, 10, 1), actor=SYSTEM).projection == []


def test_a_month_is_parsed_strictly_and_the_watch_needs_the_analytics_permission(ctx: Context) -> None:
    assert risk.parse_month("2026-04") == date(2026, 4, 1)
    for bad in ("2026-13", "2026-4", "April", "", "2026-04-01"):
        with pytest.raises(InputError):
            risk.parse_month(bad)
    analyst, manager = add_user(ctx, "analyst"), add_user(ctx, "manager")
    with pytest.raises(PermissionDenied):
        risk.watch(ctx, date(2026, 10, 1), actor=analyst)
    assert risk.watch(ctx, date(2026, 10, 1), actor=manager).ranked == []


def test_the_demo_data_holds_one_merchant_above_a_threshold(db_url: str, clock: Clock) -> None:
    from bo_core.demo import generate_demo

    ctx = make_context(db_url, clock, demo_mode=True)
    os.environ.pop("BO_RISK_FILE")  # the built-in thresholds, with the demo's lowered floors
    try:
        generate_demo(ctx, 3000, seed=42)
        watch = risk.watch(ctx, date(2026, 10, 1), actor=SYSTEM)
        assert watch.config.demo_floors
        above = {r.merchant for r in watch.ranked if r.status != "fine"}
        assert above == {"harbor-electronics"}
        assert watch.ranked[0].merchant == "harbor-electronics"
    finally:
        ctx.db.dispose()


def test_a_scoped_manager_sees_the_ratios_of_the_merchants_held_entirely(ctx: Context) -> None:
    add_rows(
        ctx,
        [
            ("calm", "VISA", "DB", 100, OCT, OK),
            ("calm", "VISA", "CB", 1, OCT, OK),
            ("hot", "VISA", "DB", 100, OCT, OK),
            ("hot", "VISA", "CB", 5, OCT, OK),
        ],
    )
    manager = add_user(ctx, "manager", scoped=True)
    scopes.assign(ctx, manager, "calm", actor=SYSTEM)
    scopes.assign(ctx, manager, "hot", "web", actor=SYSTEM)  # one channel: not the merchant's totals
    month = date(2026, 10, 1)
    assert [r.merchant for r in risk.chargeback_ratios(ctx, month, actor=manager)] == ["calm"]
    assert {r.merchant for r in risk.watch(ctx, month, actor=manager).trend} == {"calm"}
    assert [r.merchant for r in risk.chargeback_ratios(ctx, month, actor=SYSTEM)] == ["hot", "calm"]
