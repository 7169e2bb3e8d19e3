"""Reasons and the confirmation threshold: pure domain rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bo_core.domain.balances import TxFacts, compute_balances
from bo_core.domain.confirmation import parse_thresholds
from bo_core.domain.errors import ConfigurationError, InputError
from bo_core.domain.money import Money
from bo_core.domain.reasons import DEFAULT_REASONS, OperationReason, parse_reason, parse_reason_list
from bo_core.domain.types import Operation, Status, TxType


def test_refunds_and_chargebacks_need_a_known_reason_and_other_needs_a_note() -> None:
    assert parse_reason(Operation.REFUND, "Duplicate", None) == OperationReason("duplicate", None)
    assert parse_reason(Operation.CHARGEBACK, "other", " phoned ") == OperationReason("other", "phoned")
    assert parse_reason(Operation.CAPTURE, None, None) is None
    assert parse_reason(Operation.REBILL, "", "") is None
    for operation, code, note, words in [
        (Operation.REFUND, None, None, "needs a reason"),
        (Operation.REFUND, "other", None, "needs a note"),
        (Operation.REFUND, "unknown_thing", None, "is unknown"),
        (Operation.REFUND, 7, None, "is unknown"),
        (Operation.REFUND, "duplicate", "bad\x00note", "non-printable"),
        (Operation.CAPTURE, "duplicate", None, "takes no reason"),
        (Operation.REVERSAL, None, "a note", "takes no reason"),
    ]:
        with pytest.raises(InputError, match=words):
            parse_reason(operation, code, note)


def test_the_reason_list_is_configurable() -> None:
    assert parse_reason_list(None) == DEFAULT_REASONS
    assert parse_reason_list(" goodwill, Other ,goodwill") == ("goodwill", "other")
    assert parse_reason(Operation.REFUND, "goodwill", None, ("goodwill",)).code == "goodwill"  # type: ignore[union-attr]
    with pytest.raises(InputError):
        parse_reason(Operation.REFUND, "duplicate", None, ("goodwill",))
    with pytest.raises(ConfigurationError, match="BO_OPERATION_REASONS"):
        parse_reason_list("ok, not ok")


def test_thresholds_per_currency_with_a_default_and_strictly_above() -> None:
    default = parse_thresholds(None)
    assert default.threshold("EUR") == Money(100_000, "EUR")
    assert default.threshold("JPY") == Money(150_000, "JPY")
    assert default.threshold("BHD") == Money(400_000, "BHD")
    assert not default.needs_confirmation(Money(100_000, "EUR"))
    assert default.needs_confirmation(Money(100_001, "EUR"))
    custom = parse_thresholds("EUR=50 *=10.5")
    assert custom.major == {"EUR": Decimal("50"), "*": Decimal("10.5")}
    assert custom.threshold("USD") == Money(1_050, "USD")
    assert custom.threshold("JPY") == Money(10, "JPY")  # a default with decimals is floored for JPY
    assert parse_thresholds("off").threshold("EUR") is None
    assert parse_thresholds("EUR=100").threshold("USD") is None
    assert custom.refusal(Money(5_001, "EUR"), confirmed=True) is None
    refused = custom.refusal(Money(5_001, "EUR"), confirmed=False)
    assert refused is not None and "50.01 EUR is above 50.00 EUR" in refused.message
    for bad in ("EUR", "EUR=abc", "XXQ=5", "EUR=-1", "JPY=1.5", "EUR=nan"):
        with pytest.raises(ConfigurationError, match="BO_CONFIRM_ABOVE"):
            parse_thresholds(bad)


def test_balances_keep_the_pending_part_of_each_total() -> None:
    parent = TxFacts("p", TxType.DB, Status.SUCCESS, Money(5_000, "EUR"))
    kids = [
        TxFacts("a", TxType.RF, Status.SUCCESS, Money(648, "EUR")),
        TxFacts("b", TxType.RF, Status.PENDING, Money(915, "EUR")),
        TxFacts("c", TxType.RF, Status.REJECTED, Money(100, "EUR")),
    ]
    balances = compute_balances(parent, kids)
    assert balances.refunded == Money(1_563, "EUR")
    assert balances.settled("refunded") == Money(648, "EUR")
    assert balances.pending["refunded"] == Money(915, "EUR")
    assert balances.available == Money(3_437, "EUR")
    assert balances.amounts()["refunded_pending"] == Money(915, "EUR")
