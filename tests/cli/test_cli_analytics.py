"""`bo analytics chargebacks --month YYYY-MM --json`: keys, values, exit codes."""

from __future__ import annotations

from datetime import UTC, datetime

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx


def test_chargebacks_json_lists_ratios_with_the_contract_keys(ctx: Context, bo: Bo) -> None:
    oct_ = datetime(2026, 10, 12, tzinfo=UTC)
    sep = datetime(2026, 9, 12, tzinfo=UTC)
    for _ in range(4):
        add_tx(ctx, "DB", brand="VISA", merchant="m1", created_at=oct_)
    add_tx(ctx, "CB", brand="VISA", merchant="m1", created_at=oct_)
    add_tx(ctx, "DB", brand="MASTER", merchant="m1", created_at=sep)
    add_tx(ctx, "DB", brand="MASTER", merchant="m1", created_at=sep)
    add_tx(ctx, "CB", brand="MASTER", merchant="m1", created_at=oct_)
    run = bo("analytics", "chargebacks", "--month", "2026-10", "--json")
    assert run.code == 0, run.stderr
    rows = {r["scheme"]: r for r in run.json}
    assert set(rows) == {"visa", "mastercard"}
    assert set(rows["visa"]) == {
        "merchant",
        "scheme",
        "month",
        "chargebacks",
        "sales",
        "ratio",
        "threshold",
        "status",
    }
    assert (rows["visa"]["chargebacks"], rows["visa"]["sales"], rows["visa"]["ratio"]) == (1, 4, 0.25)
    assert (rows["mastercard"]["sales"], rows["mastercard"]["ratio"]) == (2, 0.5)
    # One chargeback is far below the programmes' count floors (1,500 and 100).
    assert rows["visa"]["status"] == "fine" and rows["visa"]["threshold"] == 0.015
    assert rows["mastercard"]["status"] == "fine" and rows["mastercard"]["threshold"] == 0.01
    assert bo("analytics", "chargebacks", "--month", "2026-09", "--json").json == []


def test_a_bad_month_is_a_usage_error(bo: Bo) -> None:
    run = bo("analytics", "chargebacks", "--month", "2026-13", "--json")
    assert run.code == 2 and "YYYY-MM" in run.stderr
