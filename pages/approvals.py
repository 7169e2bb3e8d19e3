"""Approvals: open four-eyes requests to decide, and one's own requests.

Approvers (``operations:approve``) see every request and decide the open ones
of others; everyone else sees the requests they made and may cancel them.
Every rule is checked again by ``bo_core.services.approvals``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import approvals
from bo_web import fmt
from bo_web.auth import guard
from bo_web.context import data_changed, get_ctx
from bo_web.errors import explain
from bo_web.flash import flash, show_flash
from bo_web.safe import md
from bo_web.vocab import Operation, Permission

user = guard(__file__)
ctx = get_ctx()
approver = user.can(Permission.OPERATIONS_APPROVE)
STATES = ["open", "approved", "rejected", "cancelled", "expired"]


def decide(done: str, action: str, request_id: int) -> None:
    """Run one decision as the signed-in user; the core refuses what is not allowed."""
    try:
        if action == "approve":
            view = approvals.approve(ctx, request_id, actor=user.username)
            if view.outcome != "success":
                done = f"Request {request_id} approved, but execution was refused: {view.message}"
        elif action == "reject":
            reason = st.session_state.get(f"reason_{request_id}", "")
            approvals.reject(ctx, request_id, actor=user.username, reason=reason)
        else:
            approvals.cancel(ctx, request_id, actor=user.username)
    except Exception as exc:
        st.session_state["approval_error"] = explain(exc)
        return
    data_changed()
    flash(done)


st.title("Approvals")
show_flash()
if error := st.session_state.pop("approval_error", None):
    st.error(error)
st.caption(
    "Operations above a role's threshold wait here for a second person. "
    + ("You approve or reject requests of others." if approver else "You see the requests you made.")
)
left, right = st.columns([1, 3])
state = left.selectbox("State", ["open", "all", *STATES[1:]], key="approvals_state")
search = right.text_input("Filter (merchant, user, UUID, operation)", key="approvals_filter")
try:
    found = approvals.list_approvals(ctx, actor=user.username, state=None if state == "all" else state)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
needle = search.strip().lower()
if needle:
    found = [
        v
        for v in found
        if any(needle in str(x).lower() for x in (v.merchant, v.requested_by, v.parent_uuid, v.operation))
    ]

if not found:
    st.info("No request matches." if needle or state != "open" else "No open request.")
for view in found[:50]:
    with st.container(border=True):
        label = Operation(view.operation).label
        st.markdown(
            f"**#{view.id} · {label} · {md(fmt.money(view.amount, view.currency))}** · {md(view.state)}  \n"
            f"Merchant {md(view.merchant)} · requested by **{md(view.requested_by)}**"
            f" on {md(fmt.when(view.requested_at))}"
            + (f" · decided by **{md(view.decided_by)}**" if view.decided_by else "")
        )
        if view.reason:
            st.caption(f"Reason: {md(view.reason)}")
        if view.outcome and view.outcome != "success":
            st.warning(f"Execution {md(view.outcome)}: {md(view.message)}")
        cols = st.columns(4)
        if cols[0].button("Open transaction", key=f"open_{view.id}", icon=":material/open_in_new:"):
            st.switch_page("pages/details.py", query_params={"uuid": view.parent_uuid})
        if view.state != "open":
            continue
        if view.requested_by == user.username:
            cols[1].button(
                "Cancel request",
                key=f"cancel_{view.id}",
                on_click=decide,
                args=(f"Request {view.id} cancelled", "cancel", view.id),
            )
        elif approver:
            cols[1].button(
                "Approve",
                key=f"approve_{view.id}",
                type="primary",
                on_click=decide,
                args=(f"Request {view.id} approved and booked", "approve", view.id),
            )
            cols[2].text_input(
                "Reason",
                key=f"reason_{view.id}",
                label_visibility="collapsed",
                placeholder="Reason for a rejection",
                max_chars=500,
            )
            cols[3].button(
                "Reject",
                key=f"reject_{view.id}",
                on_click=decide,
                args=(f"Request {view.id} rejected", "reject", view.id),
            )

if found:
    with st.expander("All shown requests as a table"):
        st.dataframe(pd.DataFrame([v.to_dict() for v in found]), hide_index=True)
