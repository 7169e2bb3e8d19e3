"""Risk (analytics:view): chargeback ratios per merchant and card scheme, against the programmes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import risk
from bo_web import risk_view as view
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.vocab import Permission

user = guard(__file__, Permission.ANALYTICS_VIEW)
ctx = get_ctx()
st.title("Chargeback-ratio watch")

this_month = ctx.now().date().replace(day=1)
months = [risk.add_months(this_month, -i) for i in range(12)]
month = st.selectbox(
    "Month",
    months,
    format_func=lambda m: f"{m:%B %Y}" + (" (running)" if m == this_month else ""),
    key="risk_month",
)
try:
    watch = risk.watch(ctx, month, actor=user.username)  # one grouped query
except Exception as exc:
    st.error(explain(exc))
    st.stop()

if watch.config.demo_floors:
    st.info(
        f"Demo configuration: the chargeback count floors are lowered to {risk.DEMO_MIN_CHARGEBACKS} a month "
        "(the programmes' own floors are 1,500 disputes for Visa and 100 chargebacks for Mastercard), "
        "so the small demo data set can show a merchant above a threshold."
    )
st.caption(
    "Visa: successful chargebacks on Visa transactions in the month ÷ successful Visa captures, debits "
    "and rebills of the same month. Mastercard: ÷ the Mastercard sales of the previous month. A level "
    "counts once both its ratio and its chargeback floor are reached. Projection: the running month "
    "extrapolated to its end (from its fifth day)."
)
table = pd.DataFrame(view.overview(watch))
if table.empty:
    st.info("No card sales or chargebacks in this month or the one before.")
    st.stop()
st.dataframe(table, hide_index=True, key="risk_table")

st.subheader("Twelve-month trend")
merchants = list(dict.fromkeys(table["Merchant"]))
merchant = st.selectbox("Merchant", merchants, key="risk_merchant")
trend = pd.DataFrame(view.trend_frame(watch.trend, merchant), columns=["Month", "Scheme", "Ratio %"])
if trend.empty:
    st.caption("No ratio in the last twelve months.")
else:
    st.line_chart(trend, x="Month", y="Ratio %", color="Scheme", height=260)
with st.expander("Thresholds in force (configuration)"):
    st.dataframe(view.thresholds_frame(watch), hide_index=True, key="risk_thresholds")
