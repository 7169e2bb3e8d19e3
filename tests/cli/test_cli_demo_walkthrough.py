"""`bo demo`, then `bo show` / `bo run` reproduce the spec's availability table and its refusals.

Everything goes through the installed `bo` program on demo data, as an operator would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.cli.conftest import Bo

pytestmark = pytest.mark.slow  # many `bo` processes on demo data

SPEC_TABLE = {
    "PA": {"capture", "reversal"},
    "CP": {"refund", "chargeback"},
    "DB": {"rebill", "refund", "chargeback"},
    "RB": {"refund", "chargeback"},
    "CB": {"chargeback_reversal"},
    "RF": set(),
    "RV": set(),
    "CR": set(),
}


def plus_one_unit(amount: str) -> str:
    """The smallest amount above ``amount`` in the same number of decimals."""
    digits = len(amount.partition(".")[2])
    return str(Decimal(amount) + Decimal(1).scaleb(-digits))


def full_offer(bo: Bo, tx_type: str, *extra: str) -> dict[str, Any]:
    """A transaction of ``tx_type`` that offers the admin its whole row of the table."""
    rows = bo("search", "--type", tx_type, "--status", "success", "--limit", "40", *extra, "--json").json
    assert rows, f"demo data has no successful {tx_type}"
    for row in rows:
        shown = bo("show", row["uuid"], "--as", "admin", "--json").json
        if set(shown["available_operations"]) == SPEC_TABLE[tx_type]:
            return dict(shown)
    pytest.fail(f"no {tx_type} in the newest 40 offers {sorted(SPEC_TABLE[tx_type])}")


def run(bo: Bo, op: str, uuid: str, user: str = "admin", *args: str) -> dict[str, Any]:
    reason = ("--reason", "duplicate") if op in ("refund", "chargeback") else ()
    return dict(bo("run", op, uuid, "--as", user, *reason, *args, "--json").json)


@pytest.fixture
def demo(bo: Bo) -> Bo:
    loaded = bo("demo", "--transactions", "3000", "--seed", "7", "--users", "--json")
    assert loaded.code == 0, loaded.stderr
    return bo


def test_every_row_of_the_availability_table_is_offered_on_demo_data(demo: Bo) -> None:
    for tx_type, expected in SPEC_TABLE.items():
        shown = full_offer(demo, tx_type)
        assert set(shown["available_operations"]) == expected, tx_type
    debit = full_offer(demo, "DB")["uuid"]
    by_role = {
        role: set(demo("show", debit, "--as", role, "--json").json["available_operations"])
        for role in ("viewer", "analyst", "manager")
    }
    assert by_role == {
        "viewer": set(),
        "analyst": {"rebill", "refund"},
        "manager": {"rebill", "refund", "chargeback"},
    }


def test_pending_and_rejected_parents_offer_nothing_and_are_refused(demo: Bo) -> None:
    for status, code in (("pending", "700.400.570"), ("rejected", "700.300.200")):
        row = demo("search", "--type", "DB", "--status", status, "--limit", "1", "--json").json[0]
        assert demo("show", row["uuid"], "--as", "admin", "--json").json["available_operations"] == []
        assert run(demo, "refund", row["uuid"], "admin", "--amount", "1")["result_code"] == code


def test_capture_and_reversal_refusals_on_a_pre_authorization(demo: Bo) -> None:
    pa = full_offer(demo, "PA")
    over = plus_one_unit(pa["balances"]["available"])
    assert run(demo, "capture", pa["uuid"], "analyst", "--amount", over)["result_code"] == "700.400.100"
    assert run(demo, "refund", pa["uuid"], "analyst", "--amount", "1")["result_code"] == "700.300.100"
    assert run(demo, "reversal", pa["uuid"], "analyst")["status"] == "success"
    assert run(demo, "reversal", pa["uuid"], "analyst")["result_code"] == "700.300.300"
    assert run(demo, "capture", pa["uuid"], "analyst", "--amount", "1")["result_code"] == "700.400.100"


def test_capture_window_refusal_on_an_old_pre_authorization(demo: Bo) -> None:
    old = (datetime.now(UTC) - timedelta(days=31)).date().isoformat()
    rows = demo("search", "--type", "PA", "--status", "success", "--to", old, "--limit", "40", "--json").json
    for row in rows:
        shown = demo("show", row["uuid"], "--as", "admin", "--json").json
        if Decimal(shown["balances"]["available"]) > 0 and not shown["children"]:
            assert shown["available_operations"] == ["reversal"]
            result = run(demo, "capture", row["uuid"], "admin", "--amount", "1")
            assert result["result_code"] == "700.300.400"
            return
    pytest.fail("demo data has no open pre-authorization older than the capture window")


def test_refund_chargeback_and_chargeback_reversal_refusals(demo: Bo) -> None:
    capture = full_offer(demo, "CP")
    over = plus_one_unit(capture["balances"]["available"])
    # The smallest unit of the currency: any capture with money left can take it.
    unit = plus_one_unit(re.sub(r"\d", "0", capture["balances"]["available"]))
    assert run(demo, "refund", capture["uuid"], "admin", "--amount", over)["result_code"] == "700.400.200"
    denied = run(demo, "chargeback", capture["uuid"], "analyst", "--amount", unit)
    assert denied["result_code"] == "800.900.301"
    chargeback = run(demo, "chargeback", capture["uuid"], "manager", "--amount", unit)
    assert chargeback["status"] == "success"
    again = run(demo, "chargeback", capture["uuid"], "manager", "--amount", unit)
    assert again["result_code"] == "700.300.500"
    assert run(demo, "refund", capture["uuid"], "admin", "--amount", unit)["result_code"] == "700.300.600"
    reversal = run(demo, "chargeback_reversal", chargeback["uuid"], "manager", "--amount", unit)
    assert reversal["status"] == "success"
    second = run(demo, "chargeback_reversal", chargeback["uuid"], "manager", "--amount", unit)
    assert second["result_code"] == "700.300.300"
    assert run(demo, "refund", capture["uuid"], "admin", "--amount", unit)["status"] == "success"


def test_duplicate_transaction_id_for_the_same_merchant_is_refused(demo: Bo) -> None:
    debit = full_offer(demo, "DB")
    first = run(demo, "refund", debit["uuid"], "admin", "--amount", "1", "--transaction-id", "DUP-1")
    assert first["status"] == "success"
    second = run(demo, "refund", debit["uuid"], "admin", "--amount", "1", "--transaction-id", "DUP-1")
    assert second["result_code"] == "700.400.800"
