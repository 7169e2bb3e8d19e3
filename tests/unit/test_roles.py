"""Roles from TOML: defaults, inheritance, refusals, and BO_ROLES_FILE via Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bo_core.config import Settings
from bo_core.domain.errors import ConfigurationError
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission, load_roles, permission_for, roles_from_toml
from bo_core.domain.types import Operation

P = Permission


def test_default_roles_grant_what_the_spec_says() -> None:
    roles = load_roles(None)
    assert roles["viewer"].permissions == {P.TRANSACTIONS_VIEW}
    assert roles["analyst"].permissions == {P.TRANSACTIONS_VIEW, P.CAPTURE, P.REVERSAL, P.REFUND, P.REBILL}
    assert roles["manager"].permissions == roles["analyst"].permissions | {
        P.CHARGEBACK,
        P.CHARGEBACK_REVERSAL,
        P.HISTORY_VIEW,
        P.ANALYTICS_VIEW,
        P.OPERATIONS_APPROVE,
    }
    assert roles["admin"].permissions == set(Permission)


def test_every_operation_has_its_own_permission() -> None:
    perms = {permission_for(op) for op in Operation}
    assert len(perms) == len(Operation)


def test_default_rebill_limits_per_currency_with_a_fallback() -> None:
    analyst = load_roles(None)["analyst"]
    assert analyst.rebill_limit("EUR") == Money(500_000, "EUR")
    assert analyst.rebill_limit("JPY") == Money(500_000, "JPY")
    assert analyst.rebill_limit("BHD") == Money(2_000_000, "BHD")
    assert load_roles(None)["viewer"].rebill_limit("EUR") is None


def test_inheritance_adds_the_parent_permissions_and_limits_regardless_of_order() -> None:
    roles = roles_from_toml(
        """
        [roles.senior]
        inherits = "junior"
        permissions = ["operations:chargeback"]
        rebill_limits = { EUR = "900" }

        [roles.junior]
        inherits = "base"
        permissions = ["operations:refund"]
        rebill_limits = { "*" = "100", EUR = "50" }

        [roles.base]
        permissions = ["transactions:view"]
        """
    )
    assert roles["senior"].permissions == {P.TRANSACTIONS_VIEW, P.REFUND, P.CHARGEBACK}
    assert roles["junior"].permissions == {P.TRANSACTIONS_VIEW, P.REFUND}
    assert roles["senior"].rebill_limit("EUR") == Money(90_000, "EUR")
    assert roles["senior"].rebill_limit("USD") == Money(10_000, "USD")
    assert roles["junior"].rebill_limit("EUR") == Money(5_000, "EUR")


def test_integer_limits_in_toml_are_accepted() -> None:
    roles = roles_from_toml('[roles.r]\npermissions = []\nrebill_limits = { "*" = 250 }\n')
    assert roles["r"].rebill_limit("EUR") == Money(25_000, "EUR")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[roles.r]\npermissions = ["operations:teleport"]\n', "unknown permission 'operations:teleport'"),
        ('[roles.a]\ninherits = "b"\n[roles.b]\ninherits = "a"\n', "cycle"),
        ('[roles.a]\ninherits = "a"\n', "cycle"),
        ('[roles.a]\ninherits = "ghost"\n', "'ghost' is not defined"),
        ("[roles.a\npermissions = []\n", "not valid TOML"),
        ("title = 'no roles here'\n", r"\[roles.<name>\]"),
        ("roles = 3\n", r"\[roles.<name>\]"),
        ("", r"\[roles.<name>\]"),
        ('[roles.r]\nrebill_limits = { XXY = "10" }\n', "XXY"),
        ('[roles.r]\nrebill_limits = { EUR = "ten" }\n', "ten"),
        ('[roles.r]\nrebill_limits = { EUR = "-5" }\n', "positive"),
        ('[roles.r]\nrebill_limits = { JPY = "10.5" }\n', "whole number"),
    ],
)
def test_unusable_role_files_are_refused_as_configuration_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        roles_from_toml(text)


def test_missing_roles_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read roles file"):
        load_roles(tmp_path / "absent.toml")


CUSTOM = """
[roles.viewer]
permissions = ["transactions:view"]

[roles.refunds]
inherits = "viewer"
permissions = ["operations:refund"]
"""


def test_settings_read_a_custom_roles_file_from_bo_roles_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(CUSTOM, encoding="utf-8")
    monkeypatch.setenv("BO_ROLES_FILE", str(path))
    monkeypatch.setenv("BO_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    settings = Settings.from_env()
    assert set(settings.roles) == {"viewer", "refunds"}
    assert settings.role("refunds").permissions == {P.TRANSACTIONS_VIEW, P.REFUND}
    with pytest.raises(ConfigurationError, match="'analyst' is not configured"):
        settings.role("analyst")


def test_settings_without_bo_roles_file_use_the_default_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BO_ROLES_FILE", raising=False)
    monkeypatch.setenv("BO_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert set(Settings.from_env().roles) == {"viewer", "analyst", "manager", "admin"}


def test_settings_refuse_a_broken_roles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "roles.toml"
    path.write_text('[roles.x]\npermissions = ["users:everything"]\n', encoding="utf-8")
    monkeypatch.setenv("BO_ROLES_FILE", str(path))
    with pytest.raises(ConfigurationError, match="unknown permission"):
        Settings.from_env()
    monkeypatch.setenv("BO_ROLES_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings.from_env()


def test_settings_read_numeric_options_and_refuse_bad_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BO_ROLES_FILE", raising=False)
    monkeypatch.setenv("BO_CAPTURE_WINDOW_DAYS", "7")
    assert Settings.from_env().capture_window.days == 7
    monkeypatch.setenv("BO_CAPTURE_WINDOW_DAYS", "seven")
    with pytest.raises(ConfigurationError, match="BO_CAPTURE_WINDOW_DAYS"):
        Settings.from_env()
    monkeypatch.setenv("BO_CAPTURE_WINDOW_DAYS", "-1")
    with pytest.raises(ConfigurationError, match="negative"):
        Settings.from_env()


@pytest.mark.parametrize("limit", ["12.5", "0.001", "100.25"])
def test_a_wildcard_rebill_limit_is_checked_against_every_currency_exponent_at_load(limit: str) -> None:
    toml = f'[roles.a]\npermissions = []\nrebill_limits = {{ "*" = "{limit}" }}\n'
    with pytest.raises(ConfigurationError, match=r"rebill limit '\*' \(as JPY, 0 decimals\)"):
        roles_from_toml(toml)


def test_a_wildcard_rebill_limit_in_whole_units_loads_and_applies_to_every_currency() -> None:
    roles = roles_from_toml('[roles.a]\npermissions = []\nrebill_limits = { "*" = "7" }\n')
    assert roles["a"].rebill_limit("JPY") == Money(7, "JPY")
    assert roles["a"].rebill_limit("BHD") == Money(7000, "BHD")
    assert roles["a"].rebill_limit("CLF") == Money(70000, "CLF")
