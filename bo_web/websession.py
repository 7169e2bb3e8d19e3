"""The browser side of server-side sessions.

Every script run asks the database whether the session is still live, starting
from a cookie the request itself carried (``st.context.cookies``) or, right after
signing in on this very connection, from the value kept in session state *for this
websocket connection only*. Reconnecting with a Streamlit session id and no
cookie therefore finds nothing: session state alone is not proof of who is there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import streamlit as st

from bo_core.security import sessions
from bo_core.security.sessions import ActiveSession
from bo_core.services.context import Context

COOKIE_NAME = "bo_session"
_STATE = "_bo_web_session"
_PENDING_COOKIE = "_bo_cookie_pending"
_LAST = "_bo_last_validated"
_NO_CLIENT = "no-client"  # AppTest and bare runs: no websocket, no headers at all
_REASONS = {
    "idle": "Your session ended after a period of inactivity. Please sign in again.",
    "expired": "Your session has expired. Please sign in again.",
    "disabled": "This account is disabled or no longer exists.",
    "ended": "Your session was ended. Please sign in again.",
    "revoked": "Your session was ended by an administrator. Please sign in again.",
    "role_changed": "Your role has changed. Please sign in again.",
    "password_changed": "Your password has changed. Please sign in again.",
}


def request_cookies() -> Mapping[str, str]:
    return st.context.cookies


def request_headers() -> Mapping[str, str]:
    return st.context.headers


def connection_id() -> str | None:
    """Identifies this websocket connection (its handshake key); a reconnection gets a new one."""
    headers = request_headers()
    if not headers:
        return _NO_CLIENT
    return headers.get("Sec-Websocket-Key") or None


def client_address(trusted_proxies: tuple[str, ...]) -> str:
    """The peer address; behind a trusted proxy, the last address it added to X-Forwarded-For."""
    peer = st.context.ip_address
    if not isinstance(peer, str) or not peer:  # loopback (Streamlit reports None), or no client
        peer = "127.0.0.1"
    if trusted_proxies and _is_trusted(peer, trusted_proxies):
        forwarded = [p.strip() for p in request_headers().get("X-Forwarded-For", "").split(",") if p.strip()]
        for hop in reversed(forwarded):
            if not _is_trusted(hop, trusted_proxies):
                return hop[:64]
    return peer


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def current(ctx: Context, cookie_key: str) -> tuple[ActiveSession, str] | None:
    """The live server-side session of this run and its token, or None (and why, as a flash)."""
    st.session_state[_LAST] = None
    state: dict[str, Any] | None = st.session_state.get(_STATE)
    conn = connection_id()
    candidates: list[str] = []
    if state and conn is not None and state.get("conn") == conn:
        candidates.append(state["cookie"])
    from_request = request_cookies().get(COOKIE_NAME)
    if from_request and from_request not in candidates:
        candidates.append(from_request)
    reason = None
    for cookie in candidates:
        token = sessions.unsign(cookie, cookie_key)
        if token is None:
            continue
        result = sessions.validate(ctx, token)
        if isinstance(result, ActiveSession):
            st.session_state[_STATE] = {"cookie": cookie, "conn": conn}
            st.session_state[_LAST] = (result, token)
            return result, token
        reason = result.reason
    if state:
        st.session_state[_STATE] = None
        if reason is not None and reason not in {"sign_out", "renewed", "unknown"}:
            from bo_web.flash import flash

            message = _REASONS.get(reason, _REASONS["ended"])
            flash(message, "warning" if reason == "disabled" else "info")
    return None


def start(
    ctx: Context, cookie_key: str, username: str, *, method: str, address: str | None, mfa_done: bool
) -> str:
    """Issue a fresh session at sign-in (any session this browser held before is ended)."""
    end_current(ctx, cookie_key, "renewed")
    token = sessions.issue(ctx, username, method=method, address=address, mfa_done=mfa_done)
    cookie = sessions.sign(token, cookie_key)
    st.session_state[_STATE] = {"cookie": cookie, "conn": connection_id()}
    st.session_state[_PENDING_COOKIE] = True
    return token


def end_current(ctx: Context, cookie_key: str, reason: str) -> None:
    state: dict[str, Any] | None = st.session_state.get(_STATE)
    for cookie in {(state or {}).get("cookie"), request_cookies().get(COOKIE_NAME)}:
        token = sessions.unsign(cookie, cookie_key) if cookie else None
        if token:
            sessions.end(ctx, token, reason)
    st.session_state[_STATE] = None
    st.session_state[_PENDING_COOKIE] = False


def cookie_to_hold() -> str | None:
    """The cookie the browser must hold after a sign-in on this connection (written until it does)."""
    if not st.session_state.get(_PENDING_COOKIE):
        return None
    state: dict[str, Any] | None = st.session_state.get(_STATE)
    return state["cookie"] if state else None


def last_validated() -> tuple[ActiveSession, str] | None:
    """The session ``current`` validated on this run (for the steps after the password)."""
    found: tuple[ActiveSession, str] | None = st.session_state.get(_LAST)
    return found
