"""The operation dialog's form and its confirmation step (no ``st.form``: Enter never submits).

A text input commits its value on Enter or blur and reruns; only a click on the
submit button books. The button says what will happen ("Refund 1.00 EUR");
above the configured amount (``BO_CONFIRM_ABOVE``, decided by
``bo_core.domain.confirmation``) a second step asks for an explicit confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from bo_core.domain.errors import BoError
from bo_core.domain.fields import MEMO_MAX, TRANSACTION_ID_MAX, USAGE_MAX
from bo_core.domain.money import Money, parse_amount
from bo_core.domain.reasons import NEEDS_REASON, NOTE_MAX, OTHER
from bo_core.domain.types import Operation
from bo_core.services.show import TransactionDetails
from bo_web import fmt
from bo_web.context import get_ctx
from bo_web.safe import md

FIELDS = ("op_amount", "op_usage", "op_txid", "op_memo", "op_reason", "op_note")
Submit = Callable[[dict[str, Any], str, bool], None]


def amount_of(details: TransactionDetails, op: Operation, text: object) -> Money | None:
    """What the operation would book: the typed amount, or a reversal's whole open amount."""
    tx = details.transaction
    if not op.takes_amount:
        available = details.balances.get("available")
        return available if isinstance(available, Money) else None
    try:
        return parse_amount(text, tx.currency)
    except BoError:
        return None


def action_label(op: Operation, amount: Money | None) -> str:
    """``Refund 1.00 EUR``; the bare operation while the amount is not valid yet."""
    return f"{op.label} {fmt.money(amount)}" if amount is not None else op.label


def balance_line(details: TransactionDetails) -> str:
    """``Refunded 6.48 EUR · pending 9.15 EUR`` (settled apart from pending), for CP/DB/RB."""
    b, cur = details.balances, details.transaction.currency
    parts = []
    for key, label in (("refunded", "Refunded"), ("charged_back", "Charged back")):
        total, pending = b.get(key), b.get(f"{key}_pending")
        if total is None:
            continue
        settled = total - pending if pending is not None else total
        text = f"{label} {fmt.money(settled, cur)}"
        if pending is not None and pending.minor:
            text += f" · pending {fmt.money(pending, cur)}"
        parts.append(text)
    return " — ".join(parts)


def _snapshot() -> dict[str, Any]:
    return {key: st.session_state.get(key) for key in FIELDS}


def _restore(state: dict[str, Any]) -> None:
    """Back from the confirmation step: the fields as they were."""
    st.session_state.update(state.pop("confirm", {}).get("fields", {}))
    state.pop("error", None)


def _pressed(
    details: TransactionDetails, op: Operation, state: dict[str, Any], shown: str, submit: Submit, user: str
) -> None:
    """Submit click: book, or ask for confirmation first; never book an amount the button did not show."""
    amount = amount_of(details, op, st.session_state.get("op_amount"))
    if amount is not None and action_label(op, amount) != shown:
        now = action_label(op, amount)
        state["error"] = f"The amount changed: the button now says {now}. Check it and press again."
        return
    if amount is not None and get_ctx().settings.confirm_above.needs_confirmation(amount):
        state["confirm"] = {"fields": _snapshot(), "label": shown}
        state.pop("error", None)
        return
    submit(_snapshot(), user, False)


def _confirmed(state: dict[str, Any], submit: Submit, user: str) -> None:
    step = state.pop("confirm", {})
    submit(step.get("fields", {}), user, True)


def confirmation_step(
    details: TransactionDetails,
    op: Operation,
    state: dict[str, Any],
    submit: Submit,
    user: str,
    close: Callable[[], None],
) -> None:
    """The second step above the threshold: the amount is fixed; confirm, go back, or cancel."""
    step = state["confirm"]
    amount = amount_of(details, op, step["fields"].get("op_amount"))
    limit = get_ctx().settings.confirm_above.threshold(details.transaction.currency)
    st.warning(
        f"**{md(step['label'])}** is above {md(fmt.money(limit))}, the amount that needs a second look. "
        f"Nothing is booked until you confirm."
    )
    if op in NEEDS_REASON:
        fields = step["fields"]
        st.markdown(f"Reason: {md(fmt.reason(fields.get('op_reason'), fields.get('op_note')))}")
    st.button(
        f"Confirm {op.label.lower()} {fmt.money(amount)}" if amount is not None else "Confirm",
        key="op_confirm",
        type="primary",
        width="stretch",
        on_click=_confirmed,
        args=(state, submit, user),
    )
    back, cancel = st.columns(2)
    back.button("Back", key="op_back", width="stretch", on_click=_restore, args=(state,))
    cancel.button("Cancel", key="op_cancel", width="stretch", on_click=close)


def fields_step(
    details: TransactionDetails,
    op: Operation,
    state: dict[str, Any],
    submit: Submit,
    user: str,
    close: Callable[[], None],
) -> None:
    tx = details.transaction
    available = details.balances.get("available", "0")
    if op.takes_amount:
        st.text_input(f"Amount ({md(tx.currency)})", key="op_amount", max_chars=40)
    else:
        st.info(f"A reversal releases the whole open amount: {md(fmt.money(available, tx.currency))}.")
    if op in NEEDS_REASON:
        reasons = list(get_ctx().settings.operation_reasons)
        st.selectbox(
            "Reason", ["", *reasons], key="op_reason", format_func=lambda r: fmt.reason(r) or "— choose why —"
        )
        other = st.session_state.get("op_reason") == OTHER
        st.text_input(
            "Reason note" + (" (required for Other)" if other else " (optional)"),
            key="op_note",
            max_chars=NOTE_MAX,
        )
    st.text_input("Usage", key="op_usage", max_chars=USAGE_MAX, help="Statement descriptor, optional")
    st.text_input(
        "Transaction ID",
        key="op_txid",
        max_chars=TRANSACTION_ID_MAX,
        help="Your reference for the new transaction",
    )
    st.text_area("Memo", key="op_memo", max_chars=MEMO_MAX, help="Internal note, optional")
    shown = action_label(op, amount_of(details, op, st.session_state.get("op_amount")))
    go, cancel = st.columns([2, 1])
    go.button(
        shown,
        key="op_submit",
        type="primary",
        width="stretch",
        on_click=_pressed,
        args=(details, op, state, shown, submit, user),
    )
    cancel.button("Cancel", key="op_cancel", width="stretch", on_click=close)
