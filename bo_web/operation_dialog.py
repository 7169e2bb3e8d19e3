"""The operation dialog: one form, one idempotency key from opening to submit."""

from __future__ import annotations

import logging
import uuid as uuidlib
from typing import Any

import streamlit as st

from bo_core.domain.errors import BoError
from bo_core.domain.fields import MEMO_MAX, TRANSACTION_ID_MAX, USAGE_MAX
from bo_core.domain.result_codes import describe
from bo_core.domain.types import Operation
from bo_core.services.execute import (
    OperationRequest,
    OperationResult,
    run_operation,
    suggest_transaction_id_for,
)
from bo_core.services.show import TransactionDetails
from bo_web import fmt
from bo_web.context import data_changed, get_ctx
from bo_web.safe import md

log = logging.getLogger(__name__)
STATE = "op_dialog"
UNKNOWN = "unknown"  # gateway mode: sent, outcome not known yet
FIELDS = ("op_amount", "op_usage", "op_txid", "op_memo")
AWAITING = "awaiting_approval"


def prefill_amount(details: TransactionDetails, operation: Operation) -> str:
    """The most the operation may take; a rebill starts from the debit's amount."""
    if operation is Operation.REBILL:
        return details.transaction.amount.to_str()
    available = details.balances.get("available")
    return available.to_str() if available is not None else ""


def open_dialog(details: TransactionDetails, operation: str, username: str) -> None:
    """Button callback: remember the dialog and give it a fresh idempotency key."""
    op = Operation(operation)
    tx = details.transaction
    try:
        txid = suggest_transaction_id_for(get_ctx(), tx.uuid, op.value, actor=username)
    except BoError:
        txid = ""
    st.session_state[STATE] = {"operation": op.value, "uuid": tx.uuid, "key": uuidlib.uuid4().hex}
    st.session_state.update(
        {"op_amount": prefill_amount(details, op), "op_usage": "", "op_txid": txid, "op_memo": ""}
    )


def close_dialog() -> None:
    st.session_state.pop(STATE, None)
    for key in FIELDS:
        st.session_state.pop(key, None)


def _submit(state: dict[str, Any], username: str) -> None:
    op = Operation(state["operation"])
    request = OperationRequest(
        operation=op.value,
        parent_uuid=state["uuid"],
        username=username,
        amount=st.session_state.get("op_amount") if op.takes_amount else None,
        usage=st.session_state.get("op_usage") or None,
        transaction_id=st.session_state.get("op_txid") or None,
        memo=st.session_state.get("op_memo") or None,
        idempotency_key=state["key"],
    )
    try:
        result = run_operation(get_ctx(), request)
    except BoError as exc:
        state["error"] = exc.message
        return
    except Exception:
        log.exception("operation %s on %s failed unexpectedly", op.value, state["uuid"])
        state["error"] = (
            "The operation could not be confirmed because of an unexpected error. "
            "Submitting again is safe: the same request is never booked twice."
        )
        return
    state.pop("error", None)
    state["result"] = result
    if result.outcome != "refused":
        data_changed()  # booked, (gateway mode) sent, or awaiting approval: something was written
    if not result.ok and result.outcome not in (UNKNOWN, AWAITING):
        state["key"] = uuidlib.uuid4().hex  # a corrected retry is a new attempt


def _awaiting(result: OperationResult) -> None:
    label = Operation(result.operation).label
    st.info(
        f"{label} of {fmt.money(result.amount or '0', result.currency or '')} is above your approval "
        f"threshold: it waits for a second person as approval request {result.request_id}. "
        "The amount is reserved until then."
    )
    if st.button("Close", key="dialog_close", width="stretch"):
        close_dialog()
        st.rerun()


def _confirmation(result: OperationResult) -> None:
    if result.outcome == AWAITING:
        _awaiting(result)
        return
    label = Operation(result.operation).label
    if result.outcome == UNKNOWN:
        st.warning(
            f"{label} sent, **outcome unknown at the gateway**: {result.pending_reason}. It stays pending "
            "(its amount reserved) until the reconciler or *Check status now* resolves it; "
            "it is never sent again blindly."
        )
    else:
        st.success(
            f"{label} booked" + (" (already submitted; showing the first result)" if result.replayed else "")
        )
    st.markdown("**New transaction UUID**")
    st.code(result.uuid or "", language=None)
    st.markdown("**Transaction ID**")
    st.code(result.transaction_id or "", language=None)
    c1, c2 = st.columns(2)
    c1.metric("Amount", fmt.money(result.amount or "0", result.currency or ""))  # values are plain text
    c2.metric("Parent available now", fmt.money(result.available_after or "0", result.currency or ""))
    st.markdown(f"Result code {md(result.result_code)} {md(describe(result.result_code))}")
    left, right = st.columns(2)
    if left.button("Open new transaction", key="dialog_open_child", width="stretch"):
        close_dialog()
        st.switch_page("pages/details.py", query_params={"uuid": result.uuid or ""})
    if right.button("Close", key="dialog_close", width="stretch"):
        close_dialog()
        st.rerun()


def _form(details: TransactionDetails, op: Operation, state: dict[str, Any], username: str) -> None:
    tx = details.transaction
    available = details.balances.get("available", "0")
    st.caption(
        f"On {tx.type_label} {md(tx.transaction_id)} · {md(tx.currency)}"
        f" · available {md(fmt.money(available, tx.currency))}"
    )
    result: OperationResult | None = state.get("result")
    if result is not None and not result.ok and result.outcome != AWAITING:
        verb = "Rejected by the gateway" if result.outcome == "rejected" else "Refused"
        st.error(f"{verb}: {md(result.message)}\n\nResult code {md(result.result_code)}")
    if state.get("error"):
        st.error(md(state["error"]))
    with st.form("op_form", border=False):
        if op.takes_amount:
            st.text_input(f"Amount ({md(tx.currency)})", key="op_amount", max_chars=40)
        else:
            st.info(f"A reversal releases the whole open amount: {md(fmt.money(available, tx.currency))}.")
        st.text_input("Usage", key="op_usage", max_chars=USAGE_MAX, help="Statement descriptor, optional")
        st.text_input(
            "Transaction ID",
            key="op_txid",
            max_chars=TRANSACTION_ID_MAX,
            help="Your reference for the new transaction",
        )
        st.text_area("Memo", key="op_memo", max_chars=MEMO_MAX, help="Internal note, optional")
        submitted = st.form_submit_button(f"Submit {op.label.lower()}", type="primary")
    if submitted:
        _submit(state, username)
        st.rerun()


def render(details: TransactionDetails, username: str) -> None:
    """Show the open dialog, if any (call once per run, after the page)."""
    state = st.session_state.get(STATE)
    if not state or state.get("uuid") != details.transaction.uuid:
        return
    op = Operation(state["operation"])

    @st.dialog(op.label, width="medium", on_dismiss=close_dialog)
    def dialog() -> None:
        result: OperationResult | None = state.get("result")
        if result is not None and (result.ok or result.outcome in (UNKNOWN, AWAITING)):
            _confirmation(result)
        else:
            _form(details, op, state, username)

    dialog()
