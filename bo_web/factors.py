"""After the password: a forced password change, then the second factor (or its enrolment).

Called by the gate on every run; while a step is open the run shows only that step.
"""

from __future__ import annotations

import segno
import streamlit as st

from bo_core.domain.errors import BoError
from bo_core.security import credentials, sessions
from bo_core.services.context import Context
from bo_web import websession
from bo_web.flash import keep, show_kept
from bo_web.safe import md

_ENROL = "_bo_totp_enrol"  # (secret, uri) while enrolling
_CODES = "_bo_recovery_codes"  # shown once after enrolment


def second_step(ctx: Context, cookie_key: str, username: str) -> bool:
    """True when the run may go on; otherwise a step was rendered (the caller stops)."""
    found = websession.last_validated()
    if found is None:
        return True
    live, token = found
    f = credentials.factors(ctx, username)
    if f.must_change_password and live.method != "sso":  # no local password to change
        _change_password_form(ctx, cookie_key, username, forced=True, mfa_done=live.mfa_done)
        return False
    if st.session_state.get(_CODES):
        _show_recovery_codes(ctx, token)
        return False
    if f.needs_mfa and not live.mfa_done:
        if f.totp_enabled:
            _code_form(ctx, username, token)
        else:
            st.title("Set up your second factor")
            st.info("Your role signs in with a one-time code from an authenticator app.")
            totp_enrolment(ctx, username)
        return False
    return True


def _code_form(ctx: Context, username: str, token: str) -> None:
    st.title("Second factor")
    with st.form("mfa_code"):
        code = st.text_input("Code from your authenticator app (or a recovery code)", key="mfa_code_input")
        submitted = st.form_submit_button("Verify", type="primary")
    if not submitted:
        show_kept("mfa_code")
        return
    try:
        ok = credentials.verify_second_factor(ctx, username, code)
    except BoError as exc:
        keep("mfa_code", exc.message)
    else:
        keep("mfa_code", None if ok else "The code is not correct.")
        if ok:
            sessions.mark_mfa_done(ctx, token)
            st.rerun()
    show_kept("mfa_code")


def totp_enrolment(ctx: Context, username: str) -> None:
    """QR code and secret; the first valid code turns TOTP on and shows the recovery codes."""
    if not st.session_state.get(_ENROL):
        st.session_state[_ENROL] = credentials.begin_totp(ctx, username)
    secret, uri = st.session_state[_ENROL]
    st.image(segno.make(uri, error="m").png_data_uri(scale=5, border=2), caption="Scan with your app")
    st.text("Or type this key:")
    st.code(secret, language=None)
    with st.form("totp_enrol"):
        code = st.text_input("Code shown by the app", key="totp_enrol_code")
        submitted = st.form_submit_button("Turn on", type="primary")
    if submitted:
        try:
            codes = credentials.confirm_totp(ctx, username, code)
        except BoError as exc:
            st.error(md(exc.message))
            return
        st.session_state[_ENROL] = None
        st.session_state[_CODES] = codes
        st.rerun()


def _show_recovery_codes(ctx: Context, token: str) -> None:
    st.title("Recovery codes")
    st.warning("Keep these codes somewhere safe. Each signs you in once if you lose your device.")
    st.code("\n".join(st.session_state[_CODES]), language=None)
    if st.button("I have saved them", key="recovery_saved", type="primary"):
        st.session_state[_CODES] = None
        sessions.mark_mfa_done(ctx, token)
        st.rerun()


def _change_password_form(
    ctx: Context, cookie_key: str, username: str, *, forced: bool, mfa_done: bool
) -> None:
    if forced:
        st.title("Choose a new password")
        st.info("An administrator set your password. Choose your own before you go on.")
    with st.form("change_password"):
        current = st.text_input("Current password", type="password", key="pw_current")
        new = st.text_input("New password", type="password", key="pw_new")
        again = st.text_input("New password again", type="password", key="pw_again")
        submitted = st.form_submit_button("Change password", type="primary")
    if not submitted:
        return
    if new != again:
        st.error("The new passwords differ.")
        return
    try:
        credentials.change_own_password(ctx, username, current, new)
    except BoError as exc:
        st.error(md(exc.message))
        return
    # Every session ended with the change; this browser continues on a fresh one.
    address = websession.client_address(ctx.settings.trusted_proxies)
    websession.start(ctx, cookie_key, username, method="password", address=address, mfa_done=mfa_done)
    from bo_web.flash import flash

    flash("Your password has been changed.")
    st.rerun()


def account_page(ctx: Context, cookie_key: str, username: str) -> None:
    st.title("My account")
    st.subheader("Password")
    _change_password_form(ctx, cookie_key, username, forced=False, mfa_done=True)
    st.subheader("Second factor")
    if credentials.factors(ctx, username).totp_enabled:
        st.success("A one-time code from your authenticator app is asked at every sign-in.")
    else:
        totp_enrolment(ctx, username)
