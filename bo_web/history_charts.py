"""The Operation History charts: one colour per outcome everywhere, one axis per currency.

Success is green, refused red, pending amber (the same in every chart and in the
table's badges); amounts are drawn one facet per currency with its own axis, since
EUR and JPY on one axis compare nothing.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from bo_core.domain import result_codes as rc
from bo_core.services.history import HistoryStats
from bo_web.vocab import Operation

# One colour per outcome (and per outcome-like series) in every chart.
SUCCESS_GREEN = "#21a366"
REFUSED_RED = "#d93a3a"
PENDING_AMBER = "#f2a900"
OUTCOME_COLORS: dict[str, str] = {
    "Success": SUCCESS_GREEN,
    "Refused": REFUSED_RED,
    "Pending": PENDING_AMBER,
    "Awaiting approval": PENDING_AMBER,
    "Rejected": "#9c2a2a",
}
# Operations are told apart by blues and purples: red, green and amber mean outcomes only.
OPERATION_PALETTE = ["#1f4e79", "#4a90d9", "#9ecae1", "#6a51a3", "#bcbddc", "#3182bd", "#636363", "#969696"]
OUTCOME_LABEL = {
    "success": "Success",
    "refused": "Refused",
    "pending": "Pending",
    "awaiting_approval": "Awaiting approval",
    "rejected": "Rejected",
}


def outcome_scale() -> alt.Scale:
    return alt.Scale(domain=list(OUTCOME_COLORS), range=list(OUTCOME_COLORS.values()))


def _show(chart: Any) -> None:
    st.altair_chart(chart, width="stretch")


def _operation_label(value: str) -> str:
    """An operation's label; other trail records (approval steps, the chain seal) by their name."""
    try:
        return Operation(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def per_day(stats: HistoryStats) -> None:
    frame = pd.DataFrame(stats.per_day_by_operation, columns=["Day", "Operation", "Attempts"])
    frame["Operation"] = frame["Operation"].map(_operation_label)
    frame["Day"] = frame["Day"].astype(str)
    _show(
        alt.Chart(frame, height=260)
        .mark_bar()
        .encode(
            x=alt.X("Day:O", title="Day (UTC)"),
            y=alt.Y("sum(Attempts):Q", title="Attempts"),
            color=alt.Color("Operation:N", scale=alt.Scale(range=OPERATION_PALETTE)),
            tooltip=["Day", "Operation", "Attempts"],
        )
    )


def per_user(stats: HistoryStats) -> None:
    frame = pd.DataFrame(stats.per_user_outcome, columns=["User", "Outcome", "Attempts"])
    frame["Outcome"] = frame["Outcome"].map(lambda o: OUTCOME_LABEL.get(o, o))
    _show(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("User:N"),
            x=alt.X("sum(Attempts):Q", title="Attempts"),
            color=alt.Color("Outcome:N", scale=outcome_scale()),
            tooltip=["User", "Outcome", "Attempts"],
        )
    )


def refusals_by_reason(stats: HistoryStats) -> None:
    frame = pd.DataFrame(stats.refusals_by_reason, columns=["Code", "Refusals"])
    frame["Reason"] = [f"{code} {rc.describe(code)}" for code in frame["Code"]]
    frame["Outcome"] = "Refused"
    _show(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Reason:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("Refusals:Q"),
            color=alt.Color("Outcome:N", scale=outcome_scale(), legend=None),
            tooltip=["Reason", "Refusals"],
        )
    )


def refusals_by_role(stats: HistoryStats) -> None:
    frame = pd.DataFrame(stats.refusals_by_role, columns=["Role", "Refusals"])
    frame["Outcome"] = "Refused"
    _show(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Role:N", sort="-x"),
            x=alt.X("Refusals:Q"),
            color=alt.Color("Outcome:N", scale=outcome_scale(), legend=None),
            tooltip=["Role", "Refusals"],
        )
    )


def amounts_per_currency(stats: HistoryStats) -> None:
    """Booked refunds and chargebacks, and attempted amounts of refusals: a facet per currency."""
    rows: list[tuple[str, str, str, float]] = []
    for currency, refunded, charged in stats.amounts_by_currency:
        rows.append((currency, "Refunded", "Success", float(refunded.decimal)))
        rows.append((currency, "Charged back", "Success", float(charged.decimal)))
    for currency, _count, attempted in stats.refused_attempted:
        rows.append((currency, "Refused (attempted)", "Refused", float(attempted.decimal)))
    if not rows:
        st.caption("No amounts in these attempts.")
        return
    frame = pd.DataFrame(rows, columns=["Currency", "What", "Outcome", "Amount"])
    chart = (
        alt.Chart(frame, width=150, height=180)
        .mark_bar()
        .encode(
            x=alt.X("What:N", title=None, sort=["Refunded", "Charged back", "Refused (attempted)"]),
            y=alt.Y("Amount:Q", title="Amount (in the facet's currency)"),
            color=alt.Color("Outcome:N", scale=outcome_scale()),
            tooltip=["Currency", "What", "Amount"],
        )
        .facet(facet=alt.Facet("Currency:N", title=None), columns=4)
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart)
    st.caption("One panel per currency, each with its own axis.")


def show(stats: HistoryStats) -> None:
    st.subheader("Operations per day")
    per_day(stats)
    st.subheader("Amounts per currency")
    amounts_per_currency(stats)
    left, right = st.columns(2)
    with left:
        st.subheader("Refusals by reason")
        if stats.refusals_by_reason:
            refusals_by_reason(stats)
        else:
            st.caption("No refusals.")
    with right:
        st.subheader("Refusals by role")
        if stats.refusals_by_role:
            refusals_by_role(stats)
        else:
            st.caption("No refusals.")
    st.subheader("Attempts per user")
    per_user(stats)
