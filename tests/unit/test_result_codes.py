"""Status is derived from the result code, pattern by pattern, edges included."""

from __future__ import annotations

import pytest

from bo_core.domain import result_codes as rc
from bo_core.domain.types import Status

SUCCESS = [
    "000.000.000",
    "000.000.999",
    "000.100.100",
    "000.100.110",
    "000.100.199",
    "000.300.000",
    "000.399.999",
    "000.600.000",
    "000.699.999",
]
PENDING = ["000.200.000", "000.200.100", "000.200.999", "800.400.500", "800.400.599", "100.400.500"]
REJECTED = [
    "000.100.000",
    "000.100.099",
    "000.100.200",
    "000.400.000",
    "000.500.000",
    "000.700.000",
    "001.000.000",
    "100.400.499",
    "100.400.501",
    "800.400.499",
    "800.400.600",
    "800.100.151",
    "700.400.200",
    "100.100.101",
    "200.300.404",
    "999.999.999",
]
MALFORMED = [
    "",
    "000.000.00",
    "000.000.0000",
    "000000000",
    "000-000-000",
    "000.000.000.000",
    " 000.000.000",
    "000.000.000 ",
    "000.000.000\n",
    "abc.def.ghi",
    "000.000.00a",
    "０００.０００.０００",
    "000.000.٠٠٠",
]


@pytest.mark.parametrize("code", SUCCESS)
def test_success_patterns_give_success(code: str) -> None:
    assert rc.status_of(code) is Status.SUCCESS


@pytest.mark.parametrize("code", PENDING)
def test_pending_patterns_give_pending(code: str) -> None:
    assert rc.status_of(code) is Status.PENDING


@pytest.mark.parametrize("code", REJECTED)
def test_every_other_well_formed_code_is_rejected(code: str) -> None:
    assert rc.status_of(code) is Status.REJECTED


@pytest.mark.parametrize("code", MALFORMED, ids=[repr(c) for c in MALFORMED])
def test_malformed_codes_raise_value_error(code: str) -> None:
    assert not rc.is_valid_code(code)
    with pytest.raises(ValueError, match=r"ddd\.ddd\.ddd"):
        rc.status_of(code)


@pytest.mark.parametrize("value", [None, 0, b"000.000.000"])
def test_non_text_codes_raise_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        rc.status_of(value)  # type: ignore[arg-type]


def test_codes_the_back_office_writes_are_well_formed_and_described() -> None:
    written = [v for k, v in vars(rc).items() if k.isupper() and isinstance(v, str) and k != "DESCRIPTIONS"]
    assert len(written) >= 20
    for code in written:
        assert rc.is_valid_code(code), code
        assert rc.describe(code) != "Unknown result code", code


def test_back_office_refusal_codes_are_not_success_and_the_success_code_is() -> None:
    assert rc.status_of(rc.SUCCESS) is Status.SUCCESS
    refusals = [
        rc.WRONG_TYPE,
        rc.OPEN_CHARGEBACK,
        rc.REFUND_VOLUME_EXCEEDED,
        rc.PERMISSION_DENIED,
        rc.USER_DISABLED,
    ]
    assert all(rc.status_of(c) is Status.REJECTED for c in refusals)


def test_unknown_code_is_described_as_unknown() -> None:
    assert rc.describe("123.456.789") == "Unknown result code"
