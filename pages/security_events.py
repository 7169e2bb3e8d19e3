"""Security events: sign-ins, user and scope changes, roles files, exports, approvals (security:events)."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from bo_core.services.security_log import KINDS, list_events, parse_event_filters
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.vocab import Permission

user = guard(__file__, Permission.SECURITY_EVENTS_VIEW)
ctx = get_ctx()

st.title("Security events")
st.caption("Newest first. Every event is in a tamper-evident chain checked by `bo audit verify`.")
who, kind, since, until = st.columns([2, 2, 1, 1])
name = who.text_input("User", key="sec_user", help="who acted, or the user concerned")
chosen = kind.selectbox("Kind", ["All kinds", *KINDS], key="sec_kind")
start = since.date_input("From (UTC)", value=None, key="sec_since")
end = until.date_input("To (UTC, inclusive)", value=None, key="sec_until")

try:
    filters = parse_event_filters(
        name or None,
        None if chosen == "All kinds" else chosen,
        start,
        end + timedelta(days=1) if end is not None else None,
        500,
    )
    found = list_events(ctx, filters, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()

if not found:
    st.info("No security event matches these filters.")
else:
    st.caption(f"{len(found)} event(s)" + (" (the newest 500)" if len(found) == 500 else ""))
    st.dataframe(
        pd.DataFrame(
            {
                "Seq": [e.seq for e in found],
                "At (UTC)": [e.at.replace(tzinfo=None) for e in found],
                "Kind": [e.kind for e in found],
                "User": [e.user or "" for e in found],
                "Target": [e.target or "" for e in found],
                "Channel": [e.channel or "" for e in found],
                "Session": [e.session or "" for e in found],
                "OS user": [e.os_user or "" for e in found],
                "Address": [e.address or "" for e in found],
                "Details": [json.dumps(e.details, ensure_ascii=False, sort_keys=True) for e in found],
            }
        ),
        hide_index=True,
        key="security_events_table",
    )
