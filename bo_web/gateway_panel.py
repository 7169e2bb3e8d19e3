"""Gateway mode on the details page: pending operations and "Check status now"."""

from __future__ import annotations

import streamlit as st

from bo_core.domain.errors import BoError
from bo_core.services.context import Context
from bo_core.services.gateway_reconcile import check_status
from bo_core.services.show import TransactionDetails, TxView
from bo_web.context import data_changed
from bo_web.flash import flash

RESULT = "gateway_check_result"


def _pending(details: TransactionDetails) -> list[TxView]:
    views = [details.transaction, *details.children]
    return [v for v in views if v.status == "pending" and v.source == "back_office"]


def _check(uuid: str, username: str, ctx: Context) -> None:
    try:
        report = check_status(ctx, uuid, actor=username)
    except BoError as exc:
        flash(f"Check status: {exc.message}", "error")
        return
    data_changed()
    if report.resolved:
        change = report.resolved[0]
        flash(f"The gateway says: {change['status']} ({change['result_code']}).", "success")
    elif report.errors:
        flash(f"The gateway could not be asked: {report.errors[0]}", "error")
    else:
        flash("Still pending at the gateway; try again later.", "info")


def render_pending(ctx: Context, details: TransactionDetails, username: str) -> None:
    pending = _pending(details)
    if not pending or not ctx.settings.gateway.is_opp:
        return
    st.subheader("Pending at the gateway")
    for view in pending:
        left, right = st.columns([4, 1])
        left.warning(
            f"**{view.type_label} {view.amount}** (`{view.transaction_id}`): "
            f"{view.pending_reason or 'outcome unknown at the gateway'}"
        )
        right.button(
            "Check status now",
            key=f"check_{view.uuid}",
            icon=":material/sync:",
            on_click=_check,
            args=(view.uuid, username, ctx),
            width="stretch",
        )
