"""The operation dialog's text fields: limits, control characters, line breaks."""

from __future__ import annotations

import pytest

from bo_core.domain.errors import InputError
from bo_core.domain.fields import (
    IDEMPOTENCY_KEY_MAX,
    MEMO_MAX,
    TRANSACTION_ID_MAX,
    USAGE_MAX,
    parse_fields,
    parse_idempotency_key,
)

LIMITS = {"Usage": USAGE_MAX, "Transaction ID": TRANSACTION_ID_MAX, "Memo": MEMO_MAX}


def fields_with(field: str, value: object) -> dict[str, object]:
    args: dict[str, object] = {"usage": None, "transaction_id": None, "memo": None}
    args[{"Usage": "usage", "Transaction ID": "transaction_id", "Memo": "memo"}[field]] = value
    return args


def parsed(field: str, value: object) -> str | None:
    result = parse_fields(**fields_with(field, value))
    return {"Usage": result.usage, "Transaction ID": result.transaction_id, "Memo": result.memo}[field]


def test_spec_limits_are_127_255_and_1000() -> None:
    assert (USAGE_MAX, TRANSACTION_ID_MAX, MEMO_MAX) == (127, 255, 1000)


@pytest.mark.parametrize("field", list(LIMITS))
def test_text_exactly_at_the_limit_is_accepted(field: str) -> None:
    value = "x" * LIMITS[field]
    assert parsed(field, value) == value


@pytest.mark.parametrize("field", list(LIMITS))
def test_text_one_over_the_limit_is_refused_naming_field_and_limit(field: str) -> None:
    with pytest.raises(InputError) as err:
        parsed(field, "x" * (LIMITS[field] + 1))
    assert err.value.field == field
    assert str(LIMITS[field]) in err.value.message


@pytest.mark.parametrize("field", list(LIMITS))
def test_limit_counts_characters_not_bytes(field: str) -> None:
    value = "é" * LIMITS[field]
    assert parsed(field, value) == value


@pytest.mark.parametrize("field", list(LIMITS))
def test_surrounding_spaces_are_trimmed_before_counting(field: str) -> None:
    value = "y" * LIMITS[field]
    assert parsed(field, f"  {value}  ") == value


@pytest.mark.parametrize("field", list(LIMITS))
@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t "])
def test_empty_or_blank_text_means_not_given(field: str, blank: str | None) -> None:
    assert parsed(field, blank) is None


CONTROLS = ["\x00", "\x07", "\x1b[31m", "\x7f", "\u200b", "\u2028", "\ufeff"]


@pytest.mark.parametrize("field", list(LIMITS))
@pytest.mark.parametrize("control", CONTROLS, ids=[repr(c) for c in CONTROLS])
def test_control_and_invisible_characters_are_refused(field: str, control: str) -> None:
    with pytest.raises(InputError, match="control or non-printable") as err:
        parsed(field, f"ab{control}cd")
    assert err.value.field == field


@pytest.mark.parametrize("field", ["Usage", "Transaction ID"])
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\t"])
def test_single_line_fields_refuse_line_breaks_and_tabs(field: str, line_break: str) -> None:
    with pytest.raises(InputError, match="non-printable"):
        parsed(field, f"first{line_break}second")


@pytest.mark.parametrize("text", ["line one\nline two", "a\tb", "para\n\npara"])
def test_memo_allows_line_breaks_and_tabs(text: str) -> None:
    assert parsed("Memo", text) == text


def test_memo_windows_line_breaks_are_accepted_as_plain_line_breaks() -> None:
    assert parsed("Memo", "line one\r\nline two") == "line one\nline two"


def test_memo_refuses_a_lone_carriage_return() -> None:
    with pytest.raises(InputError):
        parsed("Memo", "over\rwrite")


@pytest.mark.parametrize("field", list(LIMITS))
@pytest.mark.parametrize("value", [5, 1.5, b"bytes", ["x"]])
def test_non_text_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(InputError, match="must be text"):
        parsed(field, value)


def test_unicode_printable_text_is_kept_as_typed() -> None:
    result = parse_fields("Café – Zürich 東京", "ORD-ü-1", "Kunde rief an: «Rückgabe»")
    assert result.usage == "Café – Zürich 東京"
    assert result.transaction_id == "ORD-ü-1"
    assert result.memo == "Kunde rief an: «Rückgabe»"


def test_idempotency_key_accepts_printable_ascii_up_to_its_limit() -> None:
    assert parse_idempotency_key(None) is None
    assert parse_idempotency_key(" k-1 ") == "k-1"
    key = "k" * IDEMPOTENCY_KEY_MAX
    assert parse_idempotency_key(key) == key


@pytest.mark.parametrize("bad", ["", "   ", "k" * (IDEMPOTENCY_KEY_MAX + 1), "clé", "a\x00b", 12])
def test_idempotency_key_refuses_blank_long_non_ascii_or_non_text(bad: object) -> None:
    with pytest.raises(InputError) as err:
        parse_idempotency_key(bad)
    assert err.value.field == "Idempotency key"
