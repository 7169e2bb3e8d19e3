"""One-shot messages that survive ``st.rerun()``."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from bo_web.safe import md

Kind = Literal["success", "info", "warning", "error"]
_KEY = "_flash"


def flash(message: str, kind: Kind = "success") -> None:
    st.session_state[_KEY] = (kind, message)


def show_flash() -> None:
    item = st.session_state.pop(_KEY, None)
    if item:
        kind, message = item
        getattr(st, kind)(md(message))  # messages may name data (users, IDs): never markup
