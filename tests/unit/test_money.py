"""parse_amount: strict decimal text per currency exponent, exact in minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bo_core.domain.errors import InputError, InvalidAmount
from bo_core.domain.money import (
    MAX_MINOR_UNITS,
    CurrencyMismatch,
    Money,
    exponent,
    minor_to_str,
    parse_amount,
)

BAD_FORMS = [
    "",
    " ",
    "\t\n",
    "0",
    "0.00",
    "000",
    "-5",
    "-0",
    "+5",
    "NaN",
    "nan",
    "sNaN",
    "inf",
    "-inf",
    "Infinity",
    "1e3",
    "1E3",
    "1.5e2",
    "1,000.00",
    "10,5",
    "1 000",
    "1_000",
    ".5",
    "5.",
    ".",
    "5..0",
    "0x10",
    "１２",
    "١٢",
    "12abc",
    "$12",
    "12 EUR",
]


@pytest.mark.parametrize("currency", ["JPY", "EUR", "BHD"])
@pytest.mark.parametrize("text", BAD_FORMS, ids=[repr(t) for t in BAD_FORMS])
def test_bad_amount_forms_are_refused_with_a_message(text: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        parse_amount(text, currency)
    assert err.value.field == "Amount"
    assert len(err.value.message) > len("Amount: ")


@pytest.mark.parametrize("value", [5, 5.0, Decimal("5"), None, b"5", ["5"]])
def test_non_text_amounts_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmount, match="must be text"):
        parse_amount(value, "EUR")


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.5", "JPY"),
        ("100.0", "JPY"),
        ("1.234", "EUR"),
        ("0.001", "EUR"),
        ("1.0000", "BHD"),
        ("0.0001", "BHD"),
    ],
)
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(InvalidAmount, match=r"whole number|decimal digits"):
        parse_amount(text, currency)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1", "JPY", 1),
        ("1500", "JPY", 1500),
        ("10", "EUR", 1000),
        ("10.5", "EUR", 1050),
        ("10.50", "EUR", 1050),
        ("0.01", "EUR", 1),
        ("0.1", "EUR", 10),
        ("007.50", "EUR", 750),
        (" 12.34 ", "EUR", 1234),
        ("1.234", "BHD", 1234),
        ("0.001", "BHD", 1),
        ("2", "BHD", 2000),
        ("2.5", "BHD", 2500),
        ("19.99", "EUR", 1999),
        ("0.29", "EUR", 29),
    ],
)
def test_good_amounts_are_exact_in_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == Money(minor, currency)


def test_largest_allowed_amount_is_accepted_and_one_more_minor_unit_refused() -> None:
    top = minor_to_str(MAX_MINOR_UNITS, "EUR")
    assert parse_amount(top, "EUR").minor == MAX_MINOR_UNITS
    over = minor_to_str(MAX_MINOR_UNITS + 1, "EUR")
    with pytest.raises(InvalidAmount, match="too large"):
        parse_amount(over, "EUR")
    with pytest.raises(InvalidAmount, match="too large"):
        parse_amount(str(MAX_MINOR_UNITS + 1), "JPY")


def test_absurdly_long_digit_strings_are_refused() -> None:
    with pytest.raises(InvalidAmount):
        parse_amount("9" * 400, "EUR")


def test_unknown_currency_is_an_input_error() -> None:
    with pytest.raises(InputError, match="ISO 4217"):
        parse_amount("10", "XXY")


def test_currency_exponents_come_from_babel() -> None:
    assert (exponent("JPY"), exponent("EUR"), exponent("BHD")) == (0, 2, 3)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (0, "EUR", "0.00"),
        (5, "EUR", "0.05"),
        (-1250, "EUR", "-12.50"),
        (1234, "BHD", "1.234"),
        (7, "JPY", "7"),
    ],
)
def test_minor_units_print_with_the_currency_digits(minor: int, currency: str, text: str) -> None:
    assert minor_to_str(minor, currency) == text


@pytest.mark.parametrize("currency", ["JPY", "EUR", "BHD"])
@pytest.mark.parametrize("minor", [1, 9, 10, 99, 100, 12_345, 10**12 + 7])
def test_printing_then_parsing_gives_back_the_same_amount(minor: int, currency: str) -> None:
    assert parse_amount(minor_to_str(minor, currency), currency) == Money(minor, currency)


def test_money_refuses_mixed_currency_arithmetic() -> None:
    with pytest.raises(ValueError, match="cannot mix"):
        Money(1, "EUR") + Money(1, "USD")
    assert Money(150, "EUR") - Money(50, "EUR") == Money(100, "EUR")
    assert str(Money(150, "EUR")) == "1.50 EUR"


@pytest.mark.parametrize("text", ["1e3", "1E3", "2.5e-2", "1e+3", "1e"])
def test_exponent_notation_is_named_in_the_message(text: str) -> None:
    with pytest.raises(InvalidAmount, match="exponent notation"):
        parse_amount(text, "EUR")


@pytest.mark.parametrize("text", ["ten", "twelve euros", "abc"])
def test_words_are_refused_as_not_a_number_not_as_exponent_notation(text: str) -> None:
    with pytest.raises(InvalidAmount, match="is not a decimal number"):
        parse_amount(text, "EUR")


@pytest.mark.parametrize(("text", "reason"), [(".5", "not a decimal number"), ("5.", "not a decimal number")])
def test_a_dot_needs_digits_on_both_sides(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        parse_amount(text, "EUR")


@pytest.mark.parametrize(
    "compare",
    [
        lambda a, b: a > b,
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: a <= b,
    ],
)
def test_amounts_in_different_currencies_cannot_be_ordered(compare: Any) -> None:
    with pytest.raises(CurrencyMismatch, match="cannot mix EUR and JPY"):
        compare(Money(100, "EUR"), Money(5, "JPY"))
    with pytest.raises(TypeError):  # like py-moneyed: a TypeError
        compare(Money(100, "EUR"), Money(5, "JPY"))


def test_amounts_in_one_currency_order_by_value_and_other_currencies_are_merely_unequal() -> None:
    assert Money(100, "EUR") > Money(5, "EUR") and Money(5, "EUR") <= Money(5, "EUR")
    assert sorted([Money(3, "EUR"), Money(1, "EUR"), Money(2, "EUR")]) == [
        Money(1, "EUR"),
        Money(2, "EUR"),
        Money(3, "EUR"),
    ]
    assert Money(100, "EUR") != Money(100, "USD")
    with pytest.raises(TypeError):
        assert Money(1, "EUR") < 2  # type: ignore[operator]
