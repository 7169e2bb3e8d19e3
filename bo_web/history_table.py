"""The Operation History table: each attempt with the transaction it acted on.

A refused attempt created nothing: its row names the transaction acted on (type,
Transaction ID, UUID) and the amount it asked for; the new transaction's ID and
UUID appear only when one was created.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from bo_core.services.history import HistoryEntry
from bo_web import fmt
from bo_web.local_time import local
from bo_web.vocab import TxType


def _type_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return TxType(code).label
    except ValueError:
        return code


def frame(entries: list[HistoryEntry], zone: ZoneInfo | None) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for e in entries:
        row: dict[str, Any] = {"When (UTC)": e.created_at.replace(tzinfo=None)}
        if zone is not None:
            row[f"Local ({zone.key})"] = local(e.created_at, zone)
        created = e.child_uuid is not None
        row |= {
            "User": e.username,
            "Operation": e.operation.replace("_", " ").capitalize(),
            "Outcome": fmt.OUTCOME_BADGE.get(e.outcome, e.outcome),
            "Attempted": fmt.money(e.attempted) if e.attempted else "",
            "Reason": fmt.reason(e.reason_code, e.reason_note),
            "Acted on": _type_label(e.parent_type),
            "Transaction ID": e.parent_transaction_id or "",
            "New Transaction ID": (e.transaction_id or "") if created else "",
            "UUID": e.parent_uuid,
            "Booked": fmt.money(e.amount) if e.amount and e.outcome != "refused" else "",
            "Result code": e.result_code,
            "Message": e.message,
            "Role": e.role or "",
            "New UUID": e.child_uuid or "",
            "Available before": fmt.money(e.available_before) if e.available_before else "",
            "Available after": fmt.money(e.available_after) if e.available_after else "",
        }
        rows.append(row)
    return pd.DataFrame(rows)


def show(entries: list[HistoryEntry], zone: ZoneInfo | None) -> None:
    config: dict[str, Any] = {
        "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "Message": st.column_config.TextColumn(width="medium"),
        "Attempted": st.column_config.TextColumn(help="The amount asked for, refused attempts included"),
        "Acted on": st.column_config.TextColumn(
            help="Type of the transaction the operation was attempted on"
        ),
    }
    if zone is not None:
        config[f"Local ({zone.key})"] = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
    st.dataframe(frame(entries, zone), hide_index=True, column_config=config, key="h_table")
