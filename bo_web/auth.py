"""Sign-in, the session and the page guard.

Passwords are checked by ``bo_core.services.users.authenticate`` (failed attempts
and lockouts are counted in the database, shared by every replica).
streamlit-authenticator keeps the signed re-authentication cookie; it only
restores users that are active and not locked.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError, LogoutError

from bo_core.domain.errors import AuthenticationError, PermissionDenied
from bo_core.domain.permissions import Permission, Role
from bo_core.services import users
from bo_core.services.access import role_of
from bo_core.services.context import Context
from bo_web.context import get_ctx
from bo_web.flash import flash, show_flash

COOKIE_NAME = "bo_session"
DEMO_COOKIE_KEY = "bo-demo-mode-cookie-key-public-never-use-in-production"
EXAMPLE_COOKIE_KEY = "replace-me-with-at-least-32-random-characters"
KNOWN_DEFAULT_KEYS = frozenset(
    {"some_key", "key", "secret", "changeme", "change-me", "abcdef", DEMO_COOKIE_KEY, EXAMPLE_COOKIE_KEY}
)
MIN_COOKIE_KEY_LENGTH = 32
_SIGNED_IN_AT = "_signed_in_at"
_COOKIE_PENDING = "_cookie_pending"
_SIGN_OUT = "_sign_out"
_RESUME = "_resume_page"
NAVIGATION_READY = "_navigation_ready"
_STARTUP_CHECKED = "_startup_checked"


@dataclass(frozen=True)
class SessionUser:
    username: str
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return self.role.can(permission)


def _secret(section: str, key: str) -> str | None:
    try:
        value = st.secrets[section][key]
    except Exception:  # no secrets file, or no such entry
        return None
    return str(value) if value is not None else None


def cookie_key(demo_mode: bool) -> str | None:
    key = _secret("auth", "cookie_key") or os.environ.get("BO_COOKIE_KEY")
    return key or (DEMO_COOKIE_KEY if demo_mode else None)


def startup_problems(ctx: Context) -> list[str]:
    """Why production mode must not serve anything; empty when all is well."""
    if ctx.settings.demo_mode:
        return []
    problems = []
    key = cookie_key(demo_mode=False)
    if not key:
        problems.append(
            "No cookie key is configured. Set `[auth] cookie_key` in `.streamlit/secrets.toml` "
            "or the environment variable `BO_COOKIE_KEY` to a random secret."
        )
    elif key in KNOWN_DEFAULT_KEYS or len(key) < MIN_COOKIE_KEY_LENGTH:
        problems.append(
            f"The cookie key is a published default or shorter than {MIN_COOKIE_KEY_LENGTH} characters: "
            "anyone could forge a session. Configure a long random secret."
        )
    if users.demo_users_exist(ctx):
        problems.append(
            "This database contains the demo users, whose passwords are public. "
            "Remove them, or start with `BO_DEMO_MODE=1` for a demonstration."
        )
    return problems


def _refuse_to_start(problems: list[str]) -> None:
    st.error("**bo refuses to start in production mode.**\n\n" + "\n".join(f"- {p}" for p in problems))
    st.stop()


def _authenticator(ctx: Context) -> Any:
    key = cookie_key(ctx.settings.demo_mode)
    return stauth.Authenticate(
        users.authenticator_credentials(ctx),
        _secret("auth", "cookie_name") or COOKIE_NAME,
        key,
        ctx.settings.session_hours / 24,
        auto_hash=False,
        login_sleep_time=0,
    )


def _demo_hint() -> str:
    from bo_core.demo import DEMO_USERS

    accounts = ", ".join(f"`{name}` / `{password}` ({role})" for name, role, password in DEMO_USERS)
    return f"**Demo mode.** Sign in with one of the demo accounts: {accounts}."


def _sign_in_page(ctx: Context, auth: Any) -> None:
    st.title("bo · payments back office")
    show_flash()
    if ctx.settings.demo_mode:
        st.info(_demo_hint(), icon="🧪")
    with st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("Username", key="sign_in_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        user = users.authenticate(ctx, username, password)
    except AuthenticationError as exc:
        st.error(exc.message)
        return
    st.session_state.update(
        {
            "authentication_status": True,
            "username": user.username,
            "name": user.name,
            "roles": [user.role],
            "logout": None,
            _SIGNED_IN_AT: time.time(),
            _COOKIE_PENDING: True,
        }
    )
    st.rerun()


def request_sign_out() -> None:
    st.session_state[_SIGN_OUT] = True


def _forget_session(auth: Any) -> None:
    if st.session_state.get("authentication_status"):
        with contextlib.suppress(LogoutError):
            auth.logout(location="unrendered")
    for key in ("authentication_status", "username", "name", "roles", _SIGNED_IN_AT, _COOKIE_PENDING):
        st.session_state[key] = None


def _current_user(ctx: Context) -> SessionUser | None:
    """The signed-in user, re-read from the database on every run."""
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status") or not username:
        return None
    signed_in_at = st.session_state.get(_SIGNED_IN_AT) or time.time()
    st.session_state[_SIGNED_IN_AT] = signed_in_at
    if time.time() - signed_in_at > ctx.settings.session_hours * 3600:
        flash("Your session has expired. Please sign in again.", "info")
        return None
    try:
        role = role_of(ctx, str(username))
    except PermissionDenied:
        role = None
    if role is None:
        flash("This account is disabled or no longer exists.", "warning")
        return None
    return SessionUser(username, st.session_state.get("name") or username, role)


def _restore_sign_in_time(ctx: Context, auth: Any) -> None:
    """A session restored from the cookie ends when the cookie does."""
    token = getattr(auth.cookie_controller.cookie_model, "token", None)
    if st.session_state.get("authentication_status") and isinstance(token, dict) and "exp_date" in token:
        st.session_state[_SIGNED_IN_AT] = float(token["exp_date"]) - ctx.settings.session_hours * 3600


def gate() -> SessionUser:
    """Return the signed-in user, or render the sign-in page and stop the run."""
    ctx = get_ctx()
    if not st.session_state.get(_STARTUP_CHECKED):
        # Checked once per session (it reads the database); a refusal is re-checked on every run.
        problems = startup_problems(ctx)
        if problems:
            _refuse_to_start(problems)
        st.session_state[_STARTUP_CHECKED] = True
    auth: Any = None
    if st.session_state.pop(_SIGN_OUT, False):
        auth = _authenticator(ctx)
        _forget_session(auth)
        flash("You are signed out.", "info")
    user = _current_user(ctx)
    if user is None:
        auth = auth or _authenticator(ctx)
        _forget_session(auth)
        with contextlib.suppress(LoginError):  # a cookie of a now disabled or locked user
            auth.login(location="unrendered")  # restores a valid re-authentication cookie
        _restore_sign_in_time(ctx, auth)
        user = _current_user(ctx)
        if user is None:
            _sign_in_page(ctx, auth)
            st.stop()
    elif st.session_state.pop(_COOKIE_PENDING, False):
        _authenticator(ctx).cookie_controller.set_cookie()
    return user


def guard(page: str, permission: Permission = Permission.TRANSACTIONS_VIEW) -> SessionUser:
    """First line of every page: signed in, and the role grants ``permission``.

    ``page`` is the page script's own ``__file__``. A page opened by URL on a
    freshly started server runs without ``app.py`` (no navigation, no sidebar);
    once signed in, it is reopened through ``app.py`` with the same query
    parameters.
    """
    user = gate()
    if not user.can(permission):
        st.error(f"Your role ({user.role.name}) does not give access to this page.")
        st.stop()
    if not st.session_state.get(NAVIGATION_READY):
        st.session_state[_RESUME] = (f"pages/{Path(page).name}", st.query_params.to_dict())
        st.switch_page("app.py")
    return user


def mark_navigation_ready() -> None:
    st.session_state[NAVIGATION_READY] = True


def resume_page() -> tuple[str, dict[str, str]] | None:
    """The page a direct URL asked for before the navigation existed, once."""
    resume: tuple[str, dict[str, str]] | None = st.session_state.pop(_RESUME, None)
    return resume
