"""Permissions as ``resource:action`` names, and roles built from them.

Roles are data: the defaults below follow the spec and can be replaced by a
TOML file (see ``bo_core.config``). Each operation has its own permission.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bo_core.domain.errors import ConfigurationError, InputError
from bo_core.domain.money import Money, check_currency, exponent, known_currencies, parse_amount
from bo_core.domain.types import Operation


class Permission(StrEnum):
    TRANSACTIONS_VIEW = "transactions:view"
    # Exports carry full e-mail addresses and holder names (masked like the screen otherwise).
    TRANSACTIONS_EXPORT_PERSONAL = "transactions:export_personal"
    CAPTURE = "operations:capture"
    REVERSAL = "operations:reversal"
    REFUND = "operations:refund"
    REBILL = "operations:rebill"
    CHARGEBACK = "operations:chargeback"
    CHARGEBACK_REVERSAL = "operations:chargeback_reversal"
    HISTORY_VIEW = "history:view"
    ANALYTICS_VIEW = "analytics:view"
    USERS_MANAGE = "users:manage"
    OPERATIONS_APPROVE = "operations:approve"
    SECURITY_EVENTS_VIEW = "security:events"


def permission_for(operation: Operation) -> Permission:
    return Permission(f"operations:{operation.value}")


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[Permission]
    # Highest rebill amount per currency in major units; "*" applies to the rest.
    rebill_limits: Mapping[str, str] = field(default_factory=dict)
    # Four-eyes: an operation above this amount (major units per currency, "*" for
    # the rest) becomes an approval request. Empty: no approval needed.
    approval_above: Mapping[str, str] = field(default_factory=dict)
    # Per debit: at most this many rebills, and at most this total (per currency).
    rebill_max_count: int | None = None
    rebill_total_limits: Mapping[str, str] = field(default_factory=dict)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def rebill_limit(self, currency: str) -> Money | None:
        return _per_currency(self.rebill_limits, currency)

    def approval_threshold(self, currency: str) -> Money | None:
        """Amounts strictly above this need a second person; ``None``: never."""
        return _per_currency(self.approval_above, currency)

    def rebill_total_limit(self, currency: str) -> Money | None:
        return _per_currency(self.rebill_total_limits, currency)


def _per_currency(table: Mapping[str, str], currency: str) -> Money | None:
    text = table.get(currency, table.get("*"))
    return None if text is None else parse_amount(text, currency)


DEFAULT_ROLES_TOML = """
# Roles and their permissions. A role lists its own permissions and may
# inherit those of another role.
[roles.viewer]
permissions = ["transactions:view"]

[roles.analyst]
inherits = "viewer"
permissions = ["operations:capture", "operations:reversal", "operations:refund", "operations:rebill"]
rebill_limits = { "*" = "5000", JPY = "500000", BHD = "2000" }
approval_above = { "*" = "1000", JPY = "150000", BHD = "400" }
rebill_max_count = 5
rebill_total_limits = { "*" = "10000", JPY = "1000000", BHD = "4000" }

[roles.manager]
inherits = "analyst"
permissions = ["operations:chargeback", "operations:chargeback_reversal", "history:view", "analytics:view",
               "operations:approve"]
rebill_limits = { "*" = "50000", JPY = "5000000", BHD = "20000" }
approval_above = { "*" = "25000", JPY = "3000000", BHD = "10000" }
rebill_max_count = 20
rebill_total_limits = { "*" = "200000", JPY = "20000000", BHD = "80000" }

[roles.admin]
inherits = "manager"
permissions = ["users:manage", "transactions:export_personal", "security:events"]
rebill_limits = { "*" = "1000000", JPY = "100000000", BHD = "400000" }
approval_above = {}
rebill_max_count = 1000
rebill_total_limits = { "*" = "10000000", JPY = "1000000000", BHD = "4000000" }
"""


def roles_from_toml(text: str) -> dict[str, Role]:
    """Build roles from TOML text; unknown permissions or cycles are refused."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"roles file is not valid TOML: {exc}") from exc
    raw = data.get("roles")
    if not isinstance(raw, dict) or not raw:
        raise ConfigurationError("roles file must contain [roles.<name>] tables")
    roles: dict[str, Role] = {}

    def build(name: str, seen: tuple[str, ...]) -> Role:
        if name in roles:
            return roles[name]
        if name in seen:
            raise ConfigurationError(f"role inheritance cycle: {' -> '.join((*seen, name))}")
        spec = raw.get(name)
        if not isinstance(spec, dict):
            raise ConfigurationError(f"role {name!r} is not defined")
        perms: set[Permission] = set()
        limits: dict[str, str] = {}
        approval: Mapping[str, str] = {}
        totals: Mapping[str, str] = {}
        max_count: int | None = None
        parent = spec.get("inherits")
        if parent is not None:
            base = build(str(parent), (*seen, name))
            perms |= base.permissions
            limits.update(base.rebill_limits)
            approval, totals, max_count = base.approval_above, base.rebill_total_limits, base.rebill_max_count
        # A role that sets its own table replaces the inherited one (an empty table: none).
        if "approval_above" in spec:
            approval = _table(name, "approval_above", spec["approval_above"])
        if "rebill_total_limits" in spec:
            totals = _table(name, "rebill_total_limits", spec["rebill_total_limits"])
        if "rebill_max_count" in spec:
            max_count = _count(name, spec["rebill_max_count"])
        for item in spec.get("permissions", []):
            try:
                perms.add(Permission(item))
            except ValueError:
                raise ConfigurationError(f"role {name!r}: unknown permission {item!r}") from None
        for currency, amount in dict(spec.get("rebill_limits", {})).items():
            limits[currency] = str(amount)
        role = Role(
            name=name,
            permissions=frozenset(perms),
            rebill_limits=limits,
            approval_above=approval,
            rebill_max_count=max_count,
            rebill_total_limits=totals,
        )
        _check_amount_tables(role)
        roles[name] = role
        return role

    for role_name in raw:
        build(role_name, ())
    return roles


def _check_amount_tables(role: Role) -> None:
    """Refuse at load time a per-currency amount that some currency could not use.

    A named currency's amount must be valid in that currency; the ``"*"`` amount
    must be valid in every currency it covers, so it is checked once per
    minor-unit exponent among them (``"12.5"`` is refused: JPY has no decimals).
    Applies to rebill limits, approval thresholds and rebill total limits.
    """
    for what, table in (
        ("rebill limit", role.rebill_limits),
        ("approval threshold", role.approval_above),
        ("rebill total limit", role.rebill_total_limits),
    ):
        for key in table:
            covered = _one_currency_per_exponent(set(table)) if key == "*" else [key]
            for currency in covered:
                try:
                    check_currency(currency)
                    _per_currency(table, currency)
                except InputError as exc:
                    where = f"'*' (as {currency}, {exponent(currency)} decimals)" if key == "*" else key
                    raise ConfigurationError(f"role {role.name!r}: {what} {where}: {exc.message}") from None


def _one_currency_per_exponent(excluded: set[str]) -> list[str]:
    by_exponent: dict[int, str] = {}
    for code in (*_WELL_KNOWN, *sorted(known_currencies())):
        if code not in excluded:
            by_exponent.setdefault(exponent(code), code)
    return list(by_exponent.values())


_WELL_KNOWN = ("JPY", "EUR", "BHD", "CLF")


def _table(role: str, key: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"role {role!r}: {key} must be a table of currency = amount")
    return {str(currency): str(amount) for currency, amount in value.items()}


def _count(role: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"role {role!r}: rebill_max_count must be a whole number >= 0")
    return value


def load_roles(path: Path | None) -> dict[str, Role]:
    if path is None:
        return roles_from_toml(DEFAULT_ROLES_TOML)
    try:
        return roles_from_toml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read roles file {path}: {exc}") from exc
