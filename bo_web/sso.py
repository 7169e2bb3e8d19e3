"""Single sign-on in the page: Streamlit's ``st.login`` (Authlib) talks to the provider;
``bo_core.security.sso`` decides who that is in bo.

The provider is configured for Streamlit in ``.streamlit/secrets.toml`` ``[auth]``
(``redirect_uri``, ``cookie_secret``, ``client_id``, ``client_secret``,
``server_metadata_url``; several providers as ``[auth.<name>]``). After the provider
sends the person back, ``st.user`` holds the ID token's claims; ``adopt`` turns them into
a bo server-side session once (the same as a password sign-in from then on). Signing
out of bo also signs out of the provider (``st.logout``: its end-session endpoint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import streamlit as st

from bo_core.domain.errors import ConfigurationError
from bo_core.security import sso
from bo_core.security.keys import weak_key_reason
from bo_core.security.sso_policy import SsoPolicy, policy_from_env
from bo_core.services.context import Context
from bo_web import websession
from bo_web.flash import keep

DEFAULT = "default"
_SEEN = "_bo_sso_seen"  # the identity this Streamlit session already handed to the core


def providers() -> list[str]:
    """The providers configured for ``st.login`` (none: no single sign-on offered)."""
    try:
        section = st.secrets["auth"]
    except Exception:  # no secrets file, or no [auth] section
        return []
    if not isinstance(section, Mapping) or "redirect_uri" not in section or "cookie_secret" not in section:
        return []
    names = [DEFAULT] if "client_id" in section and "server_metadata_url" in section else []
    names += [k for k, v in section.items() if isinstance(v, Mapping) and "client_id" in v]
    return names


def policy(ctx: Context) -> SsoPolicy:
    return policy_from_env(known_roles=set(ctx.settings.roles))


def setting_problems(ctx: Context) -> list[str]:
    """A malformed ``BO_SSO_*`` setting or a guessable ``cookie_secret``, when single sign-on is
    configured (production mode refuses to start then, like for the session cookie key)."""
    if not providers():
        return []
    problems = []
    weak = weak_key_reason(str(st.secrets["auth"].get("cookie_secret") or ""))
    if weak:
        problems.append(f"`[auth] cookie_secret` (signs the identity cookie of single sign-on): {weak}")
    try:
        policy(ctx)
    except ConfigurationError as exc:
        problems.append(exc.message)
    return problems


def offer_sign_in() -> None:
    """One button per provider on the sign-in page; it leaves for the provider's sign-in."""
    for name in providers():
        label = "Sign in with single sign-on" if name == DEFAULT else f"Sign in with {name}"
        if st.button(label, key=f"sso_sign_in_{name}", icon="🔐"):
            st.login(None if name == DEFAULT else name)


def _identity() -> dict[str, object]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no script run context
        return {}


def adopt(ctx: Context, signing_key: str) -> bool:
    """Sign in the person the provider just vouched for; True when a bo session was started."""
    if not providers():
        return False
    identity = _identity()
    if identity.get("is_logged_in") is not True:
        return False
    seen = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
    if st.session_state.get(_SEEN) == seen:
        return False  # handled on an earlier run (signed in, refused, or stale)
    st.session_state[_SEEN] = seen
    address = websession.client_address(ctx.settings.trusted_proxies)
    try:
        user = sso.sign_in(ctx, identity, policy(ctx), address=address)
    except sso.IdentityNotFresh:
        return False  # the sign-in page offers the provider again
    except (sso.SsoRefused, ConfigurationError) as exc:
        keep("sign_in", exc.message)
        return False
    websession.start(ctx, signing_key, user.username, method="sso", address=address, mfa_done=False)
    st.session_state.update(
        {"authentication_status": True, "username": user.username, "name": user.name, "roles": [user.role]}
    )
    return True


def end_identity() -> None:
    """After a bo sign-out: forget the provider's identity and end the provider's session."""
    if providers() and _identity().get("is_logged_in") is True:
        st.logout()
