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
    CAPTURE = "operations:capture"
    REVERSAL = "operations:reversal"
    REFUND = "operations:refund"
    REBILL = "operations:rebill"
    CHARGEBACK = "operations:chargeback"
    CHARGEBACK_REVERSAL = "operations:chargeback_reversal"
    HISTORY_VIEW = "history:view"
    ANALYTICS_VIEW = "analytics:view"
    USERS_MANAGE = "users:manage"


def permission_for(operation: Operation) -> Permission:
    return Permission(f"operations:{operation.value}")


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[Permission]
    # Highest rebill amount per currency in major units; "*" applies to the rest.
    rebill_limits: Mapping[str, str] = field(default_factory=dict)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def rebill_limit(self, currency: str) -> Money | None:
        text = self.rebill_limits.get(currency, self.rebill_limits.get("*"))
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

[roles.manager]
inherits = "analyst"
permissions = ["operations:chargeback", "operations:chargeback_reversal", "history:view", "analytics:view"]
rebill_limits = { "*" = "50000", JPY = "5000000", BHD = "20000" }

[roles.admin]
inherits = "manager"
permissions = ["users:manage"]
rebill_limits = { "*" = "1000000", JPY = "100000000", BHD = "400000" }
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
        parent = spec.get("inherits")
        if parent is not None:
            base = build(str(parent), (*seen, name))
            perms |= base.permissions
            limits.update(base.rebill_limits)
        for item in spec.get("permissions", []):
            try:
                perms.add(Permission(item))
            except ValueError:
                raise ConfigurationError(f"role {name!r}: unknown permission {item!r}") from None
        for currency, amount in dict(spec.get("rebill_limits", {})).items():
            limits[currency] = str(amount)
        role = Role(name=name, permissions=frozenset(perms), rebill_limits=limits)
        _check_rebill_limits(role)
        roles[name] = role
        return role

    for role_name in raw:
        build(role_name, ())
    return roles


def _check_rebill_limits(role: Role) -> None:
    """Refuse at load time a limit that some currency could not use.

    A named currency's limit must be a valid amount in that currency; the ``"*"``
    limit must be valid in every currency it covers, so it is checked once per
    minor-unit exponent among them (``"12.5"`` is refused: JPY has no decimals).
    """
    for key in role.rebill_limits:
        covered = _one_currency_per_exponent(set(role.rebill_limits)) if key == "*" else [key]
        for currency in covered:
            try:
                check_currency(currency)
                role.rebill_limit(currency)
            except InputError as exc:
                where = f"'*' (as {currency}, {exponent(currency)} decimals)" if key == "*" else key
                raise ConfigurationError(f"role {role.name!r}: rebill limit {where}: {exc.message}") from None


def _one_currency_per_exponent(excluded: set[str]) -> list[str]:
    by_exponent: dict[int, str] = {}
    for code in (*_WELL_KNOWN, *sorted(known_currencies())):
        if code not in excluded:
            by_exponent.setdefault(exponent(code), code)
    return list(by_exponent.values())


_WELL_KNOWN = ("JPY", "EUR", "BHD", "CLF")


def load_roles(path: Path | None) -> dict[str, Role]:
    if path is None:
        return roles_from_toml(DEFAULT_ROLES_TOML)
    try:
        return roles_from_toml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read roles file {path}: {exc}") from exc
