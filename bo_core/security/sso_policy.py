"""How an OpenID Connect identity becomes a bo user: the ``BO_SSO_*`` settings.

The provider itself (issuer, client id and secret, redirect URI) is configured for
Streamlit's ``st.login`` in ``.streamlit/secrets.toml`` ``[auth]``; this policy says
what bo does with the identity the provider vouches for:

- ``BO_SSO_USERNAME_CLAIM`` (``preferred_username``): the claim that names the bo user.
- ``BO_SSO_ROLE_CLAIM`` (unset): a compact claim (a string or a list of strings) that
  decides the role at every sign-in. Unset: roles are managed in bo (pre-provisioned users).
- ``BO_SSO_ROLES`` (unset): ``claim-value=role`` pairs, comma-separated, tried in the order
  written; the first value the claim holds decides. Unset: claim values are bo role names.
- ``BO_SSO_CREATE_USERS`` (``0``): ``1`` creates unknown users at their first sign-in
  (just-in-time); they need a role from the claim and start with no merchant scope.
- ``BO_SSO_MAX_AGE_SECONDS`` (``300``): an identity older than this (its ``iat``) is not
  accepted; the person signs in at the provider again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bo_core.domain.errors import ConfigurationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class SsoPolicy:
    username_claim: str = "preferred_username"
    role_claim: str | None = None
    role_map: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    create_users: bool = False
    max_age_seconds: int = 300

    def role_from(self, claims: Mapping[str, object]) -> str | None:
        """The bo role the role claim maps to; None when no claim is configured or none matches."""
        if not self.role_claim:
            return None
        raw = claims.get(self.role_claim)
        values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
        held = [v.strip() for v in values if isinstance(v, str) and v.strip()]
        if not self.role_map:
            return held[0] if held else None
        for value, role in self.role_map:
            if value in held:
                return role
        return None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be 0 or 1, not {value[:20]!r}")


def _role_map(environ: Mapping[str, str], known_roles: set[str]) -> tuple[tuple[str, str], ...]:
    text = environ.get("BO_SSO_ROLES", "").strip()
    pairs: list[tuple[str, str]] = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        value, sep, role = (p.strip() for p in entry.partition("="))
        if not sep or not value or not role:
            raise ConfigurationError(f"BO_SSO_ROLES: {entry[:40]!r} is not claim-value=role")
        if known_roles and role not in known_roles:
            raise ConfigurationError(f"BO_SSO_ROLES: role {role[:32]!r} is not configured")
        pairs.append((value, role))
    return tuple(pairs)


def policy_from_env(
    environ: Mapping[str, str] | None = None, known_roles: set[str] | None = None
) -> SsoPolicy:
    """Read the ``BO_SSO_*`` settings; a malformed one raises ``ConfigurationError`` naming it."""
    env = os.environ if environ is None else environ
    age_text = env.get("BO_SSO_MAX_AGE_SECONDS", "300").strip()
    if not age_text.isdigit() or not 30 <= int(age_text) <= 3600:
        raise ConfigurationError("BO_SSO_MAX_AGE_SECONDS must be a whole number of seconds from 30 to 3600")
    username_claim = env.get("BO_SSO_USERNAME_CLAIM", "").strip() or "preferred_username"
    return SsoPolicy(
        username_claim=username_claim,
        role_claim=env.get("BO_SSO_ROLE_CLAIM", "").strip() or None,
        role_map=_role_map(env, known_roles or set()),
        create_users=_flag(env, "BO_SSO_CREATE_USERS"),
        max_age_seconds=int(age_text),
    )
