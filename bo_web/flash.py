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


def keep(slot: str, message: str | None, kind: Kind = "error") -> None:
    """Remember a form's answer until the form is sent again (``None`` forgets it).

    A message drawn only in the run that handled the submit would vanish on the next run,
    and the cookie manager starts one by itself when it reports the browser's cookies."""
    key = f"_kept_{slot}"
    if message is None:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = (kind, message)


def show_kept(slot: str) -> None:
    item = st.session_state.get(f"_kept_{slot}")
    if item:
        kind, message = item
        getattr(st, kind)(md(message))
