"""UI glue for the Risk page: one row per merchant and scheme, ranked; the trend frame."""

from __future__ import annotations

from typing import Any

from bo_core.domain.risk import EXCESSIVE, FINE, WATCH
from bo_core.services.risk import SEVERITY, Ratio, Watch, add_months, parse_month

BADGE = {FINE: "🟢 fine", WATCH: "🟠 watch", EXCESSIVE: "🔴 above threshold"}
SCHEME_LABEL = {"visa": "Visa", "mastercard": "Mastercard"}


def percent(ratio: float | None) -> str:
    return "n/a (no sales)" if ratio is None else f"{ratio * 100:.2f} %"


def overview(watch: Watch) -> list[dict[str, Any]]:
    """Merchants ranked by their worst status (this month, last month, projection), then ratio."""
    previous = f"{add_months(parse_month(watch.month), -1):%Y-%m}"
    last = {(r.merchant, r.scheme): r for r in watch.trend if r.month == previous}
    now = {(r.merchant, r.scheme): r for r in watch.ranked}
    projected = {(r.merchant, r.scheme): r for r in watch.projection}
    rows: list[dict[str, Any]] = []
    for key in sorted(set(now) | set(last)):
        cur, prev, proj = now.get(key), last.get(key), projected.get(key)
        shown = cur or prev or proj
        statuses = [r.status for r in (cur, prev, proj) if r is not None]
        worst = max(statuses, key=SEVERITY.__getitem__)
        rows.append(
            {
                "_rank": (-SEVERITY[worst], -((cur.ratio or 0) if cur else 0)),
                "Merchant": key[0],
                "Scheme": SCHEME_LABEL.get(key[1], key[1]),
                "Status": BADGE[worst],
                f"Ratio {watch.month}": percent(cur.ratio) if cur else "—",
                "Chargebacks": cur.chargebacks if cur else 0,
                "Sales": cur.sales if cur else 0,
                f"{previous}": f"{percent(prev.ratio)} ({prev.chargebacks}/{prev.sales})" if prev else "—",
                "Projection": f"{percent(proj.ratio)} · {BADGE[proj.status]}" if proj else "—",
                "Threshold": percent(shown.threshold) if shown else "—",
            }
        )
    rows.sort(key=lambda r: r["_rank"])
    return [{k: v for k, v in r.items() if k != "_rank"} for r in rows]


def trend_frame(trend: list[Ratio], merchant: str) -> list[dict[str, Any]]:
    """Month x scheme ratios in percent for one merchant (missing months as 0 %)."""
    return [
        {"Month": r.month, "Scheme": SCHEME_LABEL.get(r.scheme, r.scheme), "Ratio %": (r.ratio or 0) * 100}
        for r in trend
        if r.merchant == merchant
    ]


def thresholds_frame(watch: Watch) -> list[dict[str, Any]]:
    return [
        {
            "Scheme": SCHEME_LABEL.get(s.scheme, s.scheme),
            "Level": BADGE[lv.status],
            "Ratio": f"{float(lv.ratio) * 100:.2f} %",
            "At least (chargebacks a month)": lv.min_chargebacks,
            "Sales counted": "previous month" if s.previous_month_sales else "same month",
            "Source": lv.source,
            "From": lv.effective,
        }
        for s in watch.config.schemes
        for lv in s.levels
    ]
