"""Parts of the Transaction Details page: the summary, balances (settled apart from pending)
and the chain with one distinct link per member."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.domain.money import Money
from bo_core.services.show import TransactionDetails, TxView
from bo_web import fmt
from bo_web.safe import md

# Balances whose children may still be PENDING: shown settled, the pending part apart.
_WITH_PENDING = ("captured", "reversed", "refunded", "charged_back", "chargeback_reversed")


def summary(details: TransactionDetails) -> None:
    """Transaction ID and UUID side by side in whole (wrapped if need be), then amount, time, merchant."""
    tx = details.transaction
    ids = st.columns(2)
    ids[0].markdown("**Transaction ID**")
    ids[0].code(tx.transaction_id, language=None, wrap_lines=True)
    ids[1].markdown("**UUID**")
    ids[1].code(tx.uuid, language=None, wrap_lines=True)
    facts = st.columns([2, 2, 2])
    facts[0].metric("Amount", fmt.money(tx.amount, tx.currency), help=f"Currency {md(tx.currency)}")
    facts[1].markdown(f"**Created**  \n{fmt.when(tx.created_at)}")
    facts[2].markdown(f"**Merchant**  \n{md(tx.merchant)} · channel {md(tx.channel)}")
    if tx.reason_code:
        st.markdown(f"**Reason**: {md(fmt.reason(tx.reason_code, tx.reason_note))}")


def settled_and_pending(details: TransactionDetails, key: str) -> tuple[Money | str, Money | None]:
    """The balance ``key`` without its PENDING part, and that part (``None`` when nothing is pending)."""
    total = details.balances.get(key, "0")
    pending = details.balances.get(f"{key}_pending")
    if key not in _WITH_PENDING or not isinstance(total, Money) or pending is None or not pending.minor:
        return total, None
    return total - pending, pending


def balances(details: TransactionDetails) -> None:
    """One metric per relevant balance; "Refunded" counts settled refunds only, pending shown apart."""
    tx = details.transaction
    # Side by side as wide as their values (never cut to "5,000.00 …"); a narrow screen wraps them.
    with st.container(horizontal=True, gap="large", key="balances"):
        for key, label in fmt.balance_labels(tx.type).items():
            settled, pending = settled_and_pending(details, key)
            with st.container(width="content"):
                st.metric(label, fmt.money(settled, tx.currency), width="content")
                if pending is not None:
                    done, waiting = fmt.money(settled, tx.currency), fmt.money(pending, tx.currency)
                    st.caption(f"{label} {done} · pending {waiting}")


def chain_members(details: TransactionDetails) -> list[tuple[TxView, str]]:
    """Parent first, then the children in the order the ledger keeps them (created, then id)."""
    return ([(details.parent, "Parent")] if details.parent else []) + [(c, "Child") for c in details.children]


def chain_label(view: TxView, relation: str) -> str:
    """``Child · Refund · ORD-1-RF3 · 1.00 EUR · 🟢 Success``: type, whole Transaction ID, amount, status."""
    amount, status = fmt.money(view.amount, view.currency), fmt.status_badge(view.status)
    return " · ".join((relation, view.type_label, md(view.transaction_id), amount, status))


def _row(view: TxView, relation: str) -> dict[str, str]:
    return {
        "Relation": relation,
        "Type": view.type_label,
        "Status": fmt.status_badge(view.status),
        "Amount": fmt.money(view.amount, view.currency),
        "Transaction ID": view.transaction_id,
        "Reason": fmt.reason(view.reason_code, view.reason_note),
        "Created (UTC)": fmt.when(view.created_at),
        "By": view.created_by or view.source,
    }


def chain(details: TransactionDetails) -> None:
    """The chain table, then one link per member in the same order, each telling itself apart."""
    members = chain_members(details)
    if not members:
        st.caption("No parent and no children.")
        return
    st.dataframe(pd.DataFrame([_row(v, r) for v, r in members]), hide_index=True)
    with st.container(key="chain_links"):
        for view, relation in members:
            if st.button(
                chain_label(view, relation),
                key=f"open_{view.uuid}",
                icon=":material/open_in_new:",
                width="stretch",
                wrap=True,
            ):
                st.switch_page("pages/details.py", query_params={"uuid": view.uuid})
