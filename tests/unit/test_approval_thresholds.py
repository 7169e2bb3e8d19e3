"""Approval thresholds and rebill totals in the roles file: per currency, inherited unless set."""

from __future__ import annotations

import pytest

from bo_core.domain.errors import ConfigurationError
from bo_core.domain.money import Money
from bo_core.domain.permissions import load_roles, roles_from_toml

ROLES = """
[roles.base]
permissions = ["transactions:view"]
approval_above = { "*" = "1000", JPY = "150000" }
rebill_max_count = 3
rebill_total_limits = { "*" = "500" }

[roles.child]
inherits = "base"

[roles.own]
inherits = "base"
approval_above = { EUR = "20" }

[roles.free]
inherits = "base"
approval_above = {}
"""


def test_thresholds_are_per_currency_with_a_fallback_in_major_units() -> None:
    base = roles_from_toml(ROLES)["base"]
    assert base.approval_threshold("EUR") == Money(100_000, "EUR")
    assert base.approval_threshold("JPY") == Money(150_000, "JPY")
    assert base.approval_threshold("BHD") == Money(1_000_000, "BHD")


def test_a_role_inherits_the_thresholds_unless_it_sets_its_own() -> None:
    roles = roles_from_toml(ROLES)
    assert roles["child"].approval_threshold("JPY") == Money(150_000, "JPY")
    assert roles["child"].rebill_max_count == 3
    assert roles["own"].approval_threshold("EUR") == Money(2_000, "EUR")
    assert roles["own"].approval_threshold("USD") is None  # its own table has no "*"
    assert roles["free"].approval_threshold("EUR") is None


def test_absent_means_no_approval_needed() -> None:
    role = roles_from_toml('[roles.r]\npermissions = ["transactions:view"]\n')["r"]
    assert role.approval_threshold("EUR") is None and role.rebill_max_count is None


def test_default_roles_make_analysts_ask_and_managers_approve() -> None:
    roles = load_roles(None)
    assert roles["analyst"].approval_threshold("EUR") == Money(100_000, "EUR")
    assert roles["manager"].can("operations:approve")  # type: ignore[arg-type]
    assert not roles["analyst"].can("operations:approve")  # type: ignore[arg-type]
    assert roles["admin"].approval_threshold("EUR") is None


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[roles.r]\napproval_above = { XXY = "10" }\n', "XXY"),
        ('[roles.r]\napproval_above = { EUR = "ten" }\n', "ten"),
        ('[roles.r]\napproval_above = "10"\n', "table"),
        ("[roles.r]\nrebill_max_count = -1\n", "whole number"),
        ('[roles.r]\nrebill_total_limits = { JPY = "1.5" }\n', "whole number"),
    ],
)
def test_bad_thresholds_are_configuration_errors(toml: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        roles_from_toml(toml)
