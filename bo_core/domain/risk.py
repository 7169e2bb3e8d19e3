"""Chargeback-ratio thresholds of the card schemes, and the status they give. Pure.

Ratios (computed in ``bo_core.services.risk``), per merchant and month:

- Visa: successful chargebacks on Visa transactions in the month divided by
  the successful Visa captures, debits and rebills of the same month;
- Mastercard: successful chargebacks on Mastercard transactions in the month
  divided by the Mastercard captures, debits and rebills of the previous month.

A level is reached when the ratio is at least the level's ratio AND the count
of chargebacks is at least the level's floor. Thresholds are configuration
(TOML, ``BO_RISK_FILE``); each value names its source and the date it applies
from. The demo configuration lowers the count floors so the demo data, a few
thousand transactions, can show the case.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bo_core.domain.errors import ConfigurationError

FINE, WATCH, EXCESSIVE = "fine", "watch", "excessive"
SCHEMES = ("visa", "mastercard")

DEFAULT_RISK_TOML = """
[visa]
brands = ["VISA", "VISA DEBIT"]
denominator = "same_month"

[[visa.levels]]
status = "excessive"
ratio = "0.0150"
min_chargebacks = 1500
source = "Visa Acquirer Monitoring Program (VAMP): merchant 'excessive' at 1.50% and 1,500 disputes"
effective = "2026-04-01"

[mastercard]
brands = ["MASTER", "MAESTRO"]
denominator = "previous_month"

[[mastercard.levels]]
status = "watch"
ratio = "0.0100"
min_chargebacks = 100
source = "Mastercard Excessive Chargeback Program: monitoring at 100 chargebacks and 1.00%"
effective = "2023-01-01"

[[mastercard.levels]]
status = "excessive"
ratio = "0.0150"
min_chargebacks = 100
source = "Mastercard Excessive Chargeback Program: excessive at 100 chargebacks and 1.50%"
effective = "2023-01-01"
"""

DEMO_MIN_CHARGEBACKS = 3
"""The demo configuration's count floor for every level (the demo data is small)."""


@dataclass(frozen=True)
class Level:
    status: str
    ratio: Decimal
    min_chargebacks: int
    source: str
    effective: str


@dataclass(frozen=True)
class SchemeRules:
    scheme: str
    brands: tuple[str, ...]
    previous_month_sales: bool
    levels: tuple[Level, ...]  # ascending by ratio

    def classify(self, chargebacks: int, ratio: Decimal | None) -> tuple[str, Decimal]:
        """(status, threshold): the highest level reached, or ``fine`` and the lowest level's ratio.

        ``ratio`` None means chargebacks without any sales to divide by: above every ratio.
        """
        status, threshold = FINE, self.levels[0].ratio
        for level in self.levels:
            if chargebacks >= level.min_chargebacks and (ratio is None or ratio >= level.ratio):
                status, threshold = level.status, level.ratio
        return status, threshold


@dataclass(frozen=True)
class RiskConfig:
    schemes: tuple[SchemeRules, ...]
    demo_floors: bool = False

    def scheme(self, name: str) -> SchemeRules:
        return next(s for s in self.schemes if s.scheme == name)

    def scheme_of_brand(self, brand: str) -> str | None:
        return next((s.scheme for s in self.schemes if brand in s.brands), None)

    def with_demo_floors(self, floor: int = DEMO_MIN_CHARGEBACKS) -> RiskConfig:
        lowered = tuple(
            SchemeRules(
                s.scheme,
                s.brands,
                s.previous_month_sales,
                tuple(
                    Level(lv.status, lv.ratio, min(lv.min_chargebacks, floor), lv.source, lv.effective)
                    for lv in s.levels
                ),
            )
            for s in self.schemes
        )
        return RiskConfig(lowered, demo_floors=True)


def _level(scheme: str, raw: Any) -> Level:
    if not isinstance(raw, dict):
        raise ConfigurationError(f"risk {scheme}: each level must be a table")
    try:
        ratio = Decimal(str(raw["ratio"]))
        level = Level(
            status=str(raw["status"]),
            ratio=ratio,
            min_chargebacks=int(raw.get("min_chargebacks", 0)),
            source=str(raw["source"]),
            effective=str(raw["effective"]),
        )
    except (KeyError, InvalidOperation, ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"risk {scheme}: a level needs status, ratio, source, effective ({exc})"
        ) from None
    if level.status not in (WATCH, EXCESSIVE) or not Decimal(0) < ratio < Decimal(1):
        raise ConfigurationError(f"risk {scheme}: status must be watch or excessive, ratio a fraction")
    return level


def risk_config_from_toml(text: str) -> RiskConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"risk file is not valid TOML: {exc}") from exc
    schemes: list[SchemeRules] = []
    for name in SCHEMES:
        raw = data.get(name)
        if not isinstance(raw, dict):
            raise ConfigurationError(f"risk file: [{name}] is missing")
        levels = tuple(sorted((_level(name, lv) for lv in raw.get("levels", [])), key=lambda lv: lv.ratio))
        if not levels:
            raise ConfigurationError(f"risk {name}: at least one level is required")
        denominator = raw.get("denominator", "same_month")
        if denominator not in ("same_month", "previous_month"):
            raise ConfigurationError(f"risk {name}: denominator is same_month or previous_month")
        brands = tuple(str(b) for b in raw.get("brands", []))
        schemes.append(SchemeRules(name, brands, denominator == "previous_month", levels))
    return RiskConfig(tuple(schemes))


def default_risk_config() -> RiskConfig:
    return risk_config_from_toml(DEFAULT_RISK_TOML)


def ratio_of(chargebacks: int, sales: int) -> Decimal | None:
    if sales == 0:
        return Decimal(0) if chargebacks == 0 else None
    return Decimal(chargebacks) / Decimal(sales)
