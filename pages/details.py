"""Transaction Details (?uuid=): summary, balances, chain, operations, history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import history
from bo_core.services.show import show_transaction
from bo_web import details_view, fmt, gateway_panel, operation_dialog
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.flash import show_flash
from bo_web.safe import md
from bo_web.vocab import Operation

user = guard(__file__)
ctx = get_ctx()
uuid = st.query_params.get("uuid", "").strip()

if st.button("← Transactions", key="back", type="tertiary"):
    st.switch_page("pages/transactions.py")
if not uuid:
    st.info("Choose a transaction on the Transactions page, or open a link with `?uuid=`.")
    st.stop()
try:
    details = show_transaction(ctx, uuid, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()

tx = details.transaction
show_flash()
st.title(md(f"{tx.type_label} · {fmt.money(tx.amount, tx.currency)}"))
st.markdown(
    f"{fmt.status_badge(tx.status)} &nbsp; {md(tx.result_code)} {md(tx.result_description)}"
    f" &nbsp;·&nbsp; {fmt.CASH_FLOW[tx.cash_flow]}"
)

details_view.summary(details)

ops = details.available_operations or []
if ops:
    st.subheader("Operations")
    buttons = st.columns(max(len(ops), 4))
    for i, (op, primary) in enumerate(fmt.ordered_operations(list(ops))):
        buttons[i].button(
            Operation(op).label,
            key=f"op_{op}",
            type="primary" if primary else "secondary",
            on_click=operation_dialog.open_dialog,
            args=(details, op, user.username),
            width="stretch",
        )

gateway_panel.render_pending(ctx, details, user.username)

st.subheader("Balances")
details_view.balances(details)
reserved = details.balances.get("awaiting_approval")
if reserved is not None and reserved.minor:
    st.caption(
        f"Awaiting approval: {fmt.money(reserved, tx.currency)} reserved by open approval requests "
        "(already excluded from the available amount)."
    )


st.subheader("Chain")
details_view.chain(details)

left, right = st.columns(2)
with left:
    st.subheader("Instrument")
    card = md(fmt.card(tx.bin, tx.last4)) if tx.bin or tx.last4 else "no card (wallet / bank account)"
    st.markdown(
        f"**{md(tx.brand)}** · {md(tx.payment_method)} &nbsp; {card}  \n"
        f"Holder: {md(fmt.name(tx.holder))}  \nMerchant: **{md(tx.merchant)}** · channel {md(tx.channel)}"
    )
with right:
    st.subheader("Customer")
    st.markdown(
        f"{md(fmt.name(tx.customer_name))} · {md(fmt.email(tx.customer_email))}"
        f" · {md(tx.customer_country or '—')}  \n"
        f"Usage: {md(tx.usage or '—')}  \nMemo: {md(tx.memo or '—')}  \nSource: {md(tx.source)}"
        + (f" · by {md(tx.created_by)}" if tx.created_by else "")
    )

st.subheader("Operation history of this transaction")
try:
    entries = history.transaction_history(ctx, tx.uuid, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
else:
    if entries:
        st.dataframe(
            pd.DataFrame(fmt.history_rows(entries)),
            hide_index=True,
            column_config={"Message": st.column_config.TextColumn(width="medium")},
        )
    else:
        st.caption("No back-office operation was attempted on this transaction yet.")

operation_dialog.render(details, user.username)
