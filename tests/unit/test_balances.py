"""compute_balances: what each parent type still allows, from its children."""

from __future__ import annotations

import uuid

import pytest

from bo_core.domain.balances import TxFacts, compute_balances
from bo_core.domain.money import Money
from bo_core.domain.types import Status, TxType

S, P, R = Status.SUCCESS, Status.PENDING, Status.REJECTED


def tx(type_: str, minor: int, status: Status = S, currency: str = "EUR") -> TxFacts:
    return TxFacts(uuid.uuid4().hex, TxType(type_), status, Money(minor, currency))


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def test_pre_authorization_without_children_is_capturable_in_full() -> None:
    b = compute_balances(tx("PA", 10_000), [])
    assert b.available == eur(10_000)
    assert (b.captured, b.reversed, b.reversal_count) == (eur(0), eur(0), 0)


def test_pre_authorization_counts_success_and_pending_captures_and_ignores_rejected() -> None:
    b = compute_balances(tx("PA", 10_000), [tx("CP", 2_000, S), tx("CP", 3_000, P), tx("CP", 4_000, R)])
    assert b.captured == eur(5_000)
    assert b.available == eur(5_000)


def test_pre_authorization_reversal_releases_the_rest_and_is_counted_once() -> None:
    b = compute_balances(tx("PA", 10_000), [tx("CP", 2_500), tx("RV", 7_500), tx("RV", 7_500, R)])
    assert b.reversed == eur(7_500)
    assert b.reversal_count == 1
    assert b.available == eur(0)


def test_pending_reversal_also_counts() -> None:
    b = compute_balances(tx("PA", 10_000), [tx("RV", 10_000, P)])
    assert b.reversal_count == 1 and b.available == eur(0)


@pytest.mark.parametrize("parent_type", ["CP", "DB", "RB"])
def test_collected_parent_refundable_subtracts_success_and_pending_refunds(parent_type: str) -> None:
    b = compute_balances(
        tx(parent_type, 10_000), [tx("RF", 1_000, S), tx("RF", 2_000, P), tx("RF", 5_000, R)]
    )
    assert b.refunded == eur(3_000)
    assert b.available == eur(7_000)
    assert b.open_chargeback_count == 0


@pytest.mark.parametrize("parent_type", ["CP", "DB", "RB"])
def test_open_chargeback_reduces_refundable_and_is_counted_open(parent_type: str) -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx(parent_type, 10_000), [tx("RF", 1_000), cb])
    assert b.charged_back == eur(4_000)
    assert b.available == eur(5_000)
    assert (b.chargeback_count, b.open_chargeback_count) == (1, 1)


def test_partial_chargeback_reversal_gives_back_only_its_amount_and_closes_the_chargeback() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx("DB", 10_000), [tx("RF", 1_000), cb], [(cb.uuid, tx("CR", 1_500))])
    assert b.chargeback_reversed == eur(1_500)
    assert b.available == eur(10_000 - 1_000 - (4_000 - 1_500))
    assert (b.chargeback_count, b.open_chargeback_count) == (1, 0)


def test_full_chargeback_reversal_restores_the_refundable_amount() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx("CP", 10_000), [cb], [(cb.uuid, tx("CR", 4_000))])
    assert b.available == eur(10_000)


def test_rejected_chargeback_reversal_leaves_the_chargeback_open() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx("DB", 10_000), [cb], [(cb.uuid, tx("CR", 4_000, R))])
    assert b.open_chargeback_count == 1
    assert b.available == eur(6_000)


def test_pending_chargeback_reversal_counts_as_reversal() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx("DB", 10_000), [cb], [(cb.uuid, tx("CR", 4_000, P))])
    assert b.open_chargeback_count == 0 and b.available == eur(10_000)


def test_reversal_of_a_rejected_chargeback_counts_for_nothing() -> None:
    cb = tx("CB", 4_000, R)
    b = compute_balances(tx("DB", 10_000), [cb], [(cb.uuid, tx("CR", 4_000))])
    assert b.chargeback_reversed == eur(0)
    assert b.available == eur(10_000)


def test_reversal_of_another_parents_chargeback_is_ignored() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(tx("DB", 10_000), [cb], [(uuid.uuid4().hex, tx("CR", 4_000))])
    assert b.open_chargeback_count == 1 and b.available == eur(6_000)


def test_chargeback_parent_is_reversible_in_full_until_one_reversal_exists() -> None:
    assert compute_balances(tx("CB", 4_000), []).available == eur(4_000)
    partial = compute_balances(tx("CB", 4_000), [tx("CR", 1_000)])
    assert partial.chargeback_reversed == eur(1_000)
    assert partial.chargeback_reversal_count == 1
    assert partial.available == eur(0)


def test_chargeback_parent_ignores_rejected_reversals() -> None:
    b = compute_balances(tx("CB", 4_000), [tx("CR", 4_000, R)])
    assert b.chargeback_reversal_count == 0 and b.available == eur(4_000)


@pytest.mark.parametrize("parent_type", ["RF", "RV", "CR"])
def test_types_without_operations_have_nothing_available(parent_type: str) -> None:
    assert compute_balances(tx(parent_type, 5_000), []).available == eur(0)


def test_available_never_goes_negative_even_if_children_overspent() -> None:
    b = compute_balances(tx("DB", 1_000), [tx("RF", 900), tx("RF", 900)])
    assert b.available == eur(0)


def test_balances_keep_the_parent_currency_and_print_with_its_exponent() -> None:
    b = compute_balances(tx("PA", 1_234, currency="BHD"), [tx("CP", 4, currency="BHD")])
    assert b.available == Money(1_230, "BHD")
    assert b.as_dict()["available"] == "1.230"
    assert compute_balances(tx("DB", 500, currency="JPY"), []).as_dict()["amount"] == "500"


def test_a_child_in_another_currency_is_refused_not_mixed() -> None:
    with pytest.raises(ValueError, match="cannot mix"):
        compute_balances(tx("PA", 1_000), [tx("CP", 100, currency="USD")])
