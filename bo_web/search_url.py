"""The Transactions page's search, held in its URL.

Session state holds the widgets' values; the URL is written from them at the
end of every run, so it always shows the current search (filters, columns and
page) in stable codes: ``period=30d``, ``type=DB``, ``status=success``. When
the page opens (a first visit, a reload, a shared link, Back from another page)
the URL is read into the widgets before they render. Coming back from another
page with no search in the address (Back, the sidebar link) shows the search
this browser tab showed last. Display labels from older links
(``period=Last 7 days``, ``type=Debit``) are still understood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import streamlit as st

from bo_web import fmt
from bo_web.views_panel import COLUMNS
from bo_web.vocab import TxType

DEFAULT_PERIOD = "30d"
TEXT_KEYS = ("q", "merchant", "currency", "brand", "min", "max")
LIST_KEYS = ("type", "status", "cols")
DATE_KEYS = ("from", "to")
KEYS = ("q", "period", "type", "status", "merchant", "currency", "brand", "min", "max", "from", "to", "cols")
PAGE = "tx_page"
_LAST = "_tx_url_last"
_PREVIOUS_PAGE, _PAGE_NOW = "_page_before", "_page_now"
_NOT_OURS = {"view"}  # a saved-view link: read by ``views_panel.apply_on_open``

Url = dict[str, list[str]]


def _legacy_labels() -> dict[str, dict[str, str]]:
    return {
        "period": {label: code for code, label in fmt.PERIODS.items()},
        "type": {t.label: t.value for t in TxType},
        "status": {fmt.status_badge(s): s for s in fmt.STATUSES},
    }


def url_now() -> Url:
    return {k: st.query_params.get_all(k) for k in st.query_params if k not in _NOT_OURS}


def _code(key: str, value: str, allowed: Sequence[str] | None) -> str | None:
    value = _legacy_labels().get(key, {}).get(value, value)
    return value if allowed is None or value in allowed else None


def read_url(choices: Mapping[str, Sequence[str]]) -> bool:
    """When the page opens, put the URL's search into the widgets' state; True when it did so."""
    # Within the page the state leads and the URL follows: a rerun may still carry the address
    # of a run before (the browser sends it with the click), so the URL is read only when the
    # page opens (a first visit, a reload, a link, Back from another page).
    # ("" is ``/``, which opens this page: AppTest reruns start there.)
    returning = st.session_state.get(_PREVIOUS_PAGE) not in {"transactions", ""} or not all(
        k in st.session_state for k in KEYS
    )
    if not returning:
        return False
    url = {k: v for k, v in url_now().items() if k in KEYS or k == "page"}
    if not url and st.session_state.get(_LAST):
        # No search in the address (Back from a transaction, the sidebar link): the search
        # this browser tab showed last, which the URL then shows again.
        url = dict(st.session_state[_LAST])
    for key in KEYS:
        values = [c for v in url.get(key, []) if (c := _code(key, v, choices.get(key))) is not None]
        if key in LIST_KEYS:
            st.session_state[key] = values or (list(COLUMNS) if key == "cols" else [])
        elif key in DATE_KEYS:
            st.session_state[key] = _date(values[0]) if values else None
        elif key == "period":
            st.session_state[key] = values[0] if values else DEFAULT_PERIOD
        else:
            st.session_state[key] = values[0] if values else ""
    try:
        st.session_state[PAGE] = max(1, int(url.get("page", ["1"])[0]))
    except ValueError:
        st.session_state[PAGE] = 1
    return True


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def state_url() -> Url:
    """The URL of the current state: every value that differs from its default, in codes."""
    out: Url = {}
    for key in KEYS:
        value = st.session_state.get(key)
        if key == "cols" and value == list(COLUMNS):
            continue
        if key == "period" and value == DEFAULT_PERIOD:
            continue
        if isinstance(value, list) and value:
            out[key] = [str(v) for v in value]
        elif isinstance(value, date):
            out[key] = [value.isoformat()]
        elif isinstance(value, str) and value:
            out[key] = [value]
    page = st.session_state.get(PAGE, 1)
    if page != 1:
        out["page"] = [str(page)]
    return out


def write_url() -> None:
    """Make the URL show the current state (replacing the entry: Back leaves the page)."""
    wanted = state_url()
    if url_now() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_LAST] = wanted


def note_page(url_path: str) -> None:
    """Every run (``app.py``): which page runs now, and which ran before it."""
    st.session_state[_PREVIOUS_PAGE] = st.session_state.get(_PAGE_NOW)
    st.session_state[_PAGE_NOW] = url_path
