"""The demo row stream: deterministic, exact in size, varied (no database)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bo_core.demo import check_request, demo_rows
from bo_core.domain.errors import InputError
from bo_core.domain.types import TxType

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_same_seed_and_now_give_identical_rows() -> None:
    assert list(demo_rows(2_000, 9, NOW)) == list(demo_rows(2_000, 9, NOW))


def test_another_seed_gives_other_uuids_and_amounts() -> None:
    a = list(demo_rows(500, 1, NOW))
    b = list(demo_rows(500, 2, NOW))
    assert not {r["uuid"] for r in a} & {r["uuid"] for r in b}
    assert [r["amount_minor"] for r in a] != [r["amount_minor"] for r in b]


def test_timestamps_follow_now() -> None:
    later = NOW + timedelta(days=3)
    a = list(demo_rows(50, 1, NOW))
    b = list(demo_rows(50, 1, later))
    assert [r["created_at"] + timedelta(days=3) for r in a] == [r["created_at"] for r in b]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 50, 333, 1_001])
def test_exactly_the_requested_rows_and_every_parent_before_its_children(count: int) -> None:
    rows = list(demo_rows(count, 11, NOW))
    seen: set[str] = set()
    for row in rows:
        assert row["parent_uuid"] is None or row["parent_uuid"] in seen
        seen.add(str(row["uuid"]))
    assert len(rows) == count


def test_rows_cover_types_statuses_currencies_methods_and_merchants() -> None:
    rows = list(demo_rows(5_000, 42, NOW))
    assert {r["type"] for r in rows} == {t.value for t in TxType}
    assert {r["status"] for r in rows} == {"success", "pending", "rejected"}
    currencies = Counter(r["currency"] for r in rows)
    assert set(currencies) == {"EUR", "USD", "GBP", "CHF", "JPY", "BHD"}
    assert currencies.most_common(1)[0][0] == "EUR"
    brands = {(r["payment_method"], r["brand"]) for r in rows}
    assert brands >= {("CC", "VISA"), ("CC", "MASTER"), ("CC", "AMEX"), ("CC", "DINERS")}
    assert brands >= {
        ("DC", "VISA DEBIT"),
        ("DC", "MAESTRO"),
        ("DD", "SEPA"),
        ("VA", "PAYPAL"),
        ("VA", "KLARNA"),
    }
    assert len({r["merchant"] for r in rows}) >= 8
    assert len({r["customer_country"] for r in rows}) >= 8


def test_amounts_and_instruments_look_real_per_currency() -> None:
    rows = [r for r in demo_rows(5_000, 42, NOW) if r["parent_uuid"] is None]
    jpy = [r["amount_minor"] for r in rows if r["currency"] == "JPY"]
    bhd = [r["amount_minor"] for r in rows if r["currency"] == "BHD"]
    eur = sorted(r["amount_minor"] for r in rows if r["currency"] == "EUR")
    assert min(jpy) >= 100 and all(a % 10 == 0 for a in jpy)
    assert min(bhd) >= 500 and any(a % 10 for a in bhd)  # three minor digits in use
    assert 1_000 <= eur[len(eur) // 2] <= 10_000  # median between 10 and 100 EUR
    for r in rows:
        if r["payment_method"] in ("CC", "DC"):
            assert len(r["bin"]) == 6 and r["bin"].isdigit() and len(r["last4"]) == 4
        else:
            assert r["bin"] is None
        assert "@" in r["customer_email"] and r["usage"]


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True, None, 10**12])
def test_a_bad_row_count_is_refused_with_a_message(bad: object) -> None:
    with pytest.raises(InputError, match="Transactions"):
        check_request(bad, 1)


def test_every_result_code_the_demo_draws_is_described_by_the_domain_and_has_its_lists_status() -> None:
    from bo_core.demo import catalog as cat
    from bo_core.domain import result_codes as rc
    from bo_core.domain.types import Status

    for codes, status in (
        (cat.SUCCESS_CODES, Status.SUCCESS),
        (cat.PENDING_CODES, Status.PENDING),
        (cat.REJECTED_CODES, Status.REJECTED),
    ):
        for code in codes.items:
            assert code in rc.DESCRIPTIONS, code
            assert rc.status_of(code) is status, code
