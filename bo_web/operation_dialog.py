"""The operation dialog: one idempotency key from opening to submit; the fields and the
confirmation step are in ``operation_form`` (no ``st.form``, so Enter never books)."""

from __future__ import annotations

import logging
import uuid as uuidlib
from typing import Any

import streamlit as st

from bo_core.domain.errors import BoError
from bo_core.domain.reasons import NEEDS_REASON
from bo_core.domain.result_codes import describe
from bo_core.domain.types import Operation
from bo_core.services.execute import (
    OperationRequest,
    OperationResult,
    run_operation,
    suggest_transaction_id_for,
)
from bo_core.services.show import TransactionDetails
from bo_web import fmt, operation_form
from bo_web.context import data_changed, get_ctx
from bo_web.safe import md

log = logging.getLogger(__name__)
STATE = "op_dialog"
UNKNOWN = "unknown"  # gateway mode: sent, outcome not known yet
FIELDS = operation_form.FIELDS
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
        | ({"op_reason": "", "op_note": ""} if op in NEEDS_REASON else {})
    )


def close_dialog() -> None:
    st.session_state.pop(STATE, None)
    for key in FIELDS:
        st.session_state.pop(key, None)


def _submit(values: dict[str, Any], username: str, confirmed: bool) -> None:
    """Run the operation with the dialog's ``values`` (``confirmed``: the second step was passed)."""
    state = st.session_state.get(STATE)
    if not state:
        return
    op = Operation(state["operation"])
    request = OperationRequest(
        operation=op.value,
        parent_uuid=state["uuid"],
        username=username,
        amount=values.get("op_amount") if op.takes_amount else None,
        usage=values.get("op_usage") or None,
        transaction_id=values.get("op_txid") or None,
        memo=values.get("op_memo") or None,
        idempotency_key=state["key"],
        reason=(values.get("op_reason") or None) if op in NEEDS_REASON else None,
        reason_note=(values.get("op_note") or None) if op in NEEDS_REASON else None,
        confirmed=confirmed,
    )
    state["rerun"] = True
    try:
        result = run_operation(get_ctx(), request)
    except BoError as exc:
        state["error"] = exc.message
        st.session_state.update(values)  # the fields as submitted, to correct them
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
    if not result.ok:
        st.session_state.update(values)
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
    if op in NEEDS_REASON and (line := operation_form.balance_line(details)):
        st.caption(md(line))
    result: OperationResult | None = state.get("result")
    if result is not None and not result.ok and result.outcome != AWAITING:
        verb = "Rejected by the gateway" if result.outcome == "rejected" else "Refused"
        st.error(f"{verb}: {md(result.message)}\n\nResult code {md(result.result_code)}")
    if state.get("error"):
        st.error(md(state["error"]))
    step = operation_form.confirmation_step if state.get("confirm") else operation_form.fields_step
    step(details, op, state, _submit, username, close_dialog)


def render(details: TransactionDetails, username: str) -> None:
    """Show the open dialog, if any (call once per run, after the page)."""
    state = st.session_state.get(STATE)
    if not state or state.get("uuid") != details.transaction.uuid:
        return
    op = Operation(state["operation"])

    @st.dialog(op.label, width="medium", on_dismiss=close_dialog)
    def dialog() -> None:
        # Buttons in here rerun only the dialog (a fragment): after a booking or Cancel the
        # whole page reruns, so balances, chain and history are current and a closed dialog goes.
        current = st.session_state.get(STATE)
        if current is None or current.pop("rerun", False):
            st.rerun()
        result: OperationResult | None = state.get("result")
        if result is not None and (result.ok or result.outcome in (UNKNOWN, AWAITING)):
            _confirmation(result)
        else:
            _form(details, op, state, username)

    dialog()
