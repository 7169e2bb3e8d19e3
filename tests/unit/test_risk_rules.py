"""Scheme thresholds: levels, floors, configuration with source and date."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bo_core.domain.errors import ConfigurationError
from bo_core.domain.risk import default_risk_config, ratio_of, risk_config_from_toml


def test_defaults_follow_the_programmes_and_name_source_and_date() -> None:
    config = default_risk_config()
    visa, mc = config.scheme("visa"), config.scheme("mastercard")
    assert [(lv.status, lv.ratio, lv.min_chargebacks) for lv in visa.levels] == [
        ("excessive", Decimal("0.0150"), 1500)
    ]
    assert visa.levels[0].effective == "2026-04-01" and "VAMP" in visa.levels[0].source
    assert [(lv.status, lv.ratio, lv.min_chargebacks) for lv in mc.levels] == [
        ("watch", Decimal("0.0100"), 100),
        ("excessive", Decimal("0.0150"), 100),
    ]
    assert all(lv.source and lv.effective for s in config.schemes for lv in s.levels)
    assert not visa.previous_month_sales and mc.previous_month_sales


@pytest.mark.parametrize(
    ("chargebacks", "sales", "status", "threshold"),
    [
        (99, 1000, "fine", "0.0100"),  # 9.9 % but under the count floor
        (100, 20000, "fine", "0.0100"),  # 0.5 %
        (100, 10000, "watch", "0.0100"),  # exactly 1.00 %
        (149, 10000, "watch", "0.0100"),
        (150, 10000, "excessive", "0.0150"),  # exactly 1.50 %
        (100, 0, "excessive", "0.0150"),  # chargebacks without sales
    ],
)
def test_mastercard_levels(chargebacks: int, sales: int, status: str, threshold: str) -> None:
    mc = default_risk_config().scheme("mastercard")
    assert mc.classify(chargebacks, ratio_of(chargebacks, sales)) == (status, Decimal(threshold))


def test_visa_needs_1500_disputes_and_1_5_percent() -> None:
    visa = default_risk_config().scheme("visa")
    assert visa.classify(1499, ratio_of(1499, 10_000))[0] == "fine"
    assert visa.classify(1500, ratio_of(1500, 100_000))[0] == "excessive"
    assert visa.classify(1500, ratio_of(1500, 100_001))[0] == "fine"


def test_demo_floors_lower_only_the_counts() -> None:
    demo = default_risk_config().with_demo_floors(3)
    assert demo.demo_floors
    mc = demo.scheme("mastercard")
    assert [(lv.ratio, lv.min_chargebacks) for lv in mc.levels] == [
        (Decimal("0.0100"), 3),
        (Decimal("0.0150"), 3),
    ]
    assert mc.classify(3, ratio_of(3, 100)) == ("excessive", Decimal("0.0150"))


def test_ratio_of_zero_sales() -> None:
    assert ratio_of(0, 0) == 0 and ratio_of(1, 0) is None


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        "[visa]\n",
        '[visa]\n[[visa.levels]]\nstatus="excessive"\nratio="2"\nsource="x"\neffective="y"\n[mastercard]\n',
        '[visa]\n[[visa.levels]]\nstatus="bad"\nratio="0.1"\nsource="x"\neffective="y"\n',
    ],
)
def test_bad_configuration_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError):
        risk_config_from_toml(text)
