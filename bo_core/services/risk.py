"""The chargeback-ratio watch: one grouped SQL query per view (rules in ``bo_core.domain.risk``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select

from bo_core.config import Settings
from bo_core.db.models import TransactionRow
from bo_core.domain import risk as rules
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import ConfigurationError, InputError
from bo_core.domain.permissions import Permission
from bo_core.domain.types import Status, TxType
from bo_core.services.access import require_scoped
from bo_core.services.context import Context

_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
DEMO_MIN_CHARGEBACKS = rules.DEMO_MIN_CHARGEBACKS
SALES_TYPES = (TxType.CP.value, TxType.DB.value, TxType.RB.value)
PROJECTION_FROM = timedelta(days=4)
SEVERITY = {rules.EXCESSIVE: 2, rules.WATCH: 1, rules.FINE: 0}


def parse_month(text: object) -> date:
    """``YYYY-MM`` -> the first day of that month."""
    match = _MONTH.fullmatch(str(text).strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise InputError("Month", f"{str(text)[:20]!r} is not a month (YYYY-MM)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def risk_config(settings: Settings) -> rules.RiskConfig:
    """``BO_RISK_FILE`` or the programmes' defaults; demo mode lowers the count floors."""
    path = os.environ.get("BO_RISK_FILE")
    if path:
        try:
            config = rules.risk_config_from_toml(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot read risk file {path}: {exc}") from exc
    else:
        config = rules.default_risk_config()
    return config.with_demo_floors() if settings.demo_mode else config


@dataclass(frozen=True)
class Ratio:
    merchant: str
    scheme: str
    month: str
    chargebacks: int
    sales: int
    ratio: float | None
    threshold: float
    status: str
    projected: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "merchant": self.merchant,
            "scheme": self.scheme,
            "month": self.month,
            "chargebacks": self.chargebacks,
            "sales": self.sales,
            "ratio": self.ratio,
            "threshold": self.threshold,
            "status": self.status,
        }


@dataclass(frozen=True)
class Watch:
    month: str
    ranked: list[Ratio]  # the month asked for, worst first
    trend: list[Ratio]  # every month of the window, oldest first
    projection: list[Ratio]  # the current month extrapolated to its end (empty for past months)
    config: rules.RiskConfig


def _counts(
    ctx: Context, config: rules.RiskConfig, first: date, months: int, merchant: str | None
) -> dict[tuple[str, str, int, bool], int]:
    """{(merchant, scheme, month index, is chargeback): count} in one grouped query."""
    t = TransactionRow
    bounds = [_start(add_months(first, i)) for i in range(months + 1)]
    bucket = case(*((t.created_at < b, i) for i, b in enumerate(bounds[1:-1])), else_=months - 1)
    scheme = case(*((t.brand.in_(s.brands), s.scheme) for s in config.schemes if s.brands), else_=None)
    is_cb = t.type == TxType.CB.value
    brands = [b for s in config.schemes for b in s.brands]
    conditions = [
        t.type.in_((TxType.CB.value, *SALES_TYPES)),
        t.status == Status.SUCCESS.value,
        t.created_at >= bounds[0],
        t.created_at < bounds[-1],
        t.brand.in_(brands),
    ]
    if merchant:
        conditions.append(t.merchant == merchant)
    stmt = (
        select(t.merchant, scheme, bucket, is_cb, func.count())
        .where(and_(*conditions))
        .group_by(t.merchant, scheme, bucket, is_cb)
    )
    with ctx.db.uow() as uow:
        return {(m, s, int(b), bool(c)): int(n) for m, s, b, c, n in uow.session.execute(stmt)}


def _ratio(
    rules_: rules.SchemeRules, merchant: str, month: date, cbs: int, sales: int, projected: bool
) -> Ratio:
    value = rules.ratio_of(cbs, sales)
    status, threshold = rules_.classify(cbs, value)
    return Ratio(
        merchant,
        rules_.scheme,
        f"{month:%Y-%m}",
        cbs,
        sales,
        None if value is None else float(round(value, 6)),
        float(threshold),
        status,
        projected,
    )


def _rank(rows: list[Ratio]) -> list[Ratio]:
    return sorted(
        rows,
        key=lambda r: (-SEVERITY[r.status], -(r.ratio if r.ratio is not None else 2.0), r.merchant, r.scheme),
    )


def watch(ctx: Context, month: date, *, actor: Actor, months: int = 12, merchant: str | None = None) -> Watch:
    """Ratios for ``month`` and the ``months - 1`` before it; one query over months + 1 months."""
    _, scope = require_scoped(ctx, actor, Permission.ANALYTICS_VIEW)
    config = risk_config(ctx.settings)
    first = add_months(month, -months)  # one more month: Mastercard divides by the month before
    counts = _counts(ctx, config, first, months + 1, merchant)
    # Whole-merchant figures: only for merchants the actor sees entirely (merchant scopes).
    pairs = sorted({(m, s) for m, s, _, _ in counts if s is not None and scope.allows(m, None)})
    trend: list[Ratio] = []
    for m, s in pairs:
        rules_ = config.scheme(s)
        for i in range(1, months + 1):
            cbs = counts.get((m, s, i, True), 0)
            sales = counts.get((m, s, i - 1 if rules_.previous_month_sales else i, False), 0)
            if cbs or sales:
                trend.append(_ratio(rules_, m, add_months(first, i), cbs, sales, False))
    label = f"{month:%Y-%m}"
    ranked = _rank([r for r in trend if r.month == label])
    return Watch(label, ranked, trend, _projection(ctx, config, month, ranked), config)


def _projection(ctx: Context, config: rules.RiskConfig, month: date, ranked: list[Ratio]) -> list[Ratio]:
    """For the running month: chargebacks (and same-month sales) scaled to the whole month.

    Only from the month's fifth day on: earlier, one dispute would be multiplied tenfold.
    """
    now = ctx.now()
    start, end = _start(month), _start(add_months(month, 1))
    if not start + PROJECTION_FROM <= now < end:
        return []
    elapsed = (now - start) / (end - start)
    out: list[Ratio] = []
    for r in ranked:
        rules_ = config.scheme(r.scheme)
        cbs = round(r.chargebacks / elapsed)
        sales = r.sales if rules_.previous_month_sales else round(r.sales / elapsed)
        out.append(_ratio(rules_, r.merchant, month, cbs, sales, True))
    return _rank(out)


def chargeback_ratios(ctx: Context, month: date, *, actor: Actor, merchant: str | None = None) -> list[Ratio]:
    """The ranked ratios of one month (``bo analytics chargebacks``): one query over two months."""
    return watch(ctx, month, months=1, merchant=merchant, actor=actor).ranked


def share_of_threshold(ratio: Ratio) -> Decimal:
    """How far a ratio is towards its scheme's highest threshold (for the page's bars)."""
    return Decimal(str(ratio.ratio or 0)) / Decimal(str(ratio.threshold or 1))
