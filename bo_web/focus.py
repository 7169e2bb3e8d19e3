"""Keyboard focus: put the cursor in the field a person will type into first."""

from __future__ import annotations

import re

import streamlit as st

_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def focus(key: str, *, always: bool = False) -> None:
    """Focus the input of the widget with ``key`` once it is drawn, unless the person has
    already put the focus somewhere (``always``: even then; the script waits up to five
    seconds for the widget)."""
    if not _KEY.match(key):
        raise ValueError(f"not a widget key: {key!r}")
    selector = f".st-key-{key} input"
    script = (
        "<script>(function(){let n=0;const t=setInterval(function(){"
        f"const el=document.querySelector('{selector}');"
        "if(el){const a=document.activeElement;"
        f"if({'true' if always else 'false'}||!a||a===document.body){{el.focus();}}clearInterval(t);}}"
        "else if(++n>50){clearInterval(t);}},100);})();</script>"
    )
    st.html(script, unsafe_allow_javascript=True, width="content")
