"""Single sign-on rules on both backends: an OpenID Connect identity becomes a bo user, or is refused."""

from __future__ import annotations

import threading
import uuid

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError, ConfigurationError, InputError, PermissionDenied
from bo_core.security import events, sessions, sso
from bo_core.security.sessions import ActiveSession
from bo_core.security.sso import IdentityNotFresh, SsoRefused
from bo_core.security.sso_policy import SsoPolicy, policy_from_env
from bo_core.services import users
from bo_core.services.context import Context
from tests.factories import add_user

ISSUER = "http://localhost:9400"
PRE_PROVISIONED = SsoPolicy()
CLAIM_ROLES = SsoPolicy(
    role_claim="bo_role", role_map=(("bo-managers", "manager"), ("bo-analysts", "analyst"))
)


def _claims(ctx: Context, username: str, sub: str | None = None, **extra: object) -> dict[str, object]:
    """What Authlib hands over after checking the ID token: issued now, a fresh nonce."""
    return {
        "iss": ISSUER,
        "sub": sub or f"sub-{username}",
        "aud": "bo",
        "iat": int(ctx.now().timestamp()),
        "exp": int(ctx.now().timestamp()) + 3600,
        "nonce": uuid.uuid4().hex,
        "preferred_username": username,
        **extra,
    }


def _kinds(ctx: Context, username: str | None = None) -> list[str]:
    return [e.kind for e in events.list_security_events(ctx, username=username)]


def test_a_pre_provisioned_user_signs_in_and_the_session_says_sso(ctx: Context) -> None:
    add_user(ctx, "analyst", "ann")
    user = sso.sign_in(ctx, _claims(ctx, "ann"), PRE_PROVISIONED, address="192.0.2.7")
    assert (user.username, user.role) == ("ann", "analyst")
    token = sessions.issue(ctx, user.username, method="sso", address="192.0.2.7")
    live = sessions.validate(ctx, token)
    assert isinstance(live, ActiveSession) and live.method == "sso"
    sign_ins = [e for e in events.list_security_events(ctx, username="ann") if e.kind == events.SIGN_IN]
    assert [e.detail for e in sign_ins] == ["sso"]


def test_an_unknown_identity_is_refused_and_recorded(ctx: Context) -> None:
    with pytest.raises(SsoRefused, match="not a bo user"):
        sso.sign_in(ctx, _claims(ctx, "mallory"), PRE_PROVISIONED)
    refused = [e for e in events.list_security_events(ctx) if e.kind == events.SSO_REFUSED]
    assert [(e.username, e.detail) for e in refused] == [("mallory", "unknown user")]
    with pytest.raises(Exception, match="No user"):
        users.get_user(ctx, "mallory", actor=SYSTEM)


def test_a_disabled_user_is_refused_even_when_the_provider_says_yes(ctx: Context) -> None:
    add_user(ctx, "manager", "dora")
    users.disable_user(ctx, "dora", actor=SYSTEM)
    with pytest.raises(SsoRefused, match="disabled"):
        sso.sign_in(ctx, _claims(ctx, "dora"), PRE_PROVISIONED)
    assert events.SSO_REFUSED in _kinds(ctx, "dora")


def test_an_identity_is_used_once(ctx: Context) -> None:
    add_user(ctx, "viewer", "vic")
    claims = _claims(ctx, "vic")
    sso.sign_in(ctx, claims, PRE_PROVISIONED)
    with pytest.raises(IdentityNotFresh):
        sso.sign_in(ctx, claims, PRE_PROVISIONED)
    sso.sign_in(ctx, _claims(ctx, "vic"), PRE_PROVISIONED)  # a new sign-in at the provider


def test_an_old_identity_is_not_accepted(ctx: Context, clock) -> None:  # type: ignore[no-untyped-def]
    add_user(ctx, "viewer", "val")
    claims = _claims(ctx, "val")
    clock.advance(seconds=PRE_PROVISIONED.max_age_seconds + 1)
    with pytest.raises(IdentityNotFresh):
        sso.sign_in(ctx, claims, PRE_PROVISIONED)


@pytest.mark.parametrize("missing", ["iss", "sub", "iat"])
def test_an_incomplete_identity_is_refused(ctx: Context, missing: str) -> None:
    add_user(ctx, "viewer", "ivy")
    claims = _claims(ctx, "ivy")
    del claims[missing]
    with pytest.raises(SsoRefused):
        sso.sign_in(ctx, claims, PRE_PROVISIONED)


def test_a_username_claim_that_is_not_a_bo_username_is_refused(ctx: Context) -> None:
    with pytest.raises(SsoRefused, match="username"):
        sso.sign_in(ctx, _claims(ctx, "<img src=x>"), PRE_PROVISIONED)


def test_the_first_sign_in_binds_the_identity_and_another_one_is_refused(ctx: Context) -> None:
    add_user(ctx, "admin", "root-ada")
    sso.sign_in(ctx, _claims(ctx, "root-ada", sub="ada-at-idp"), PRE_PROVISIONED)
    with pytest.raises(SsoRefused, match="another identity"):
        sso.sign_in(ctx, _claims(ctx, "root-ada", sub="someone-renamed"), PRE_PROVISIONED)
    sso.sign_in(ctx, _claims(ctx, "root-ada", sub="ada-at-idp"), PRE_PROVISIONED)


def test_the_role_claim_decides_the_role_at_every_sign_in(ctx: Context) -> None:
    add_user(ctx, "analyst", "rita")
    first = sso.sign_in(ctx, _claims(ctx, "rita", bo_role=["staff", "bo-analysts"]), CLAIM_ROLES)
    assert first.role == "analyst"
    token = sessions.issue(ctx, "rita", method="sso")
    promoted = sso.sign_in(ctx, _claims(ctx, "rita", bo_role="bo-managers"), CLAIM_ROLES)
    assert promoted.role == "manager"
    assert users.get_user(ctx, "rita", actor=SYSTEM).role == "manager"
    assert sessions.validate(ctx, token) == sessions.Refusal("role_changed")
    changed = [e for e in events.list_security_events(ctx, username="rita") if e.kind == sso.SSO_ROLE_CHANGED]
    assert [e.detail for e in changed] == ["analyst -> manager (claim bo_role)"]


def test_a_role_claim_that_maps_to_no_role_is_refused(ctx: Context) -> None:
    add_user(ctx, "manager", "nora")
    with pytest.raises(SsoRefused, match="no bo role"):
        sso.sign_in(ctx, _claims(ctx, "nora", bo_role=["staff"]), CLAIM_ROLES)
    assert users.get_user(ctx, "nora", actor=SYSTEM).role == "manager"


def test_without_a_role_map_the_claim_names_the_role(ctx: Context) -> None:
    add_user(ctx, "viewer", "walt")
    policy = SsoPolicy(role_claim="bo_role")
    assert sso.sign_in(ctx, _claims(ctx, "walt", bo_role="analyst"), policy).role == "analyst"
    with pytest.raises(SsoRefused):
        sso.sign_in(ctx, _claims(ctx, "walt", bo_role="superuser"), policy)


def test_just_in_time_creation_is_off_by_default_and_makes_a_user_without_a_password(ctx: Context) -> None:
    claims = _claims(ctx, "newbie", bo_role="bo-analysts", name="New Bie", email="newbie@example.com")
    with pytest.raises(SsoRefused):
        sso.sign_in(ctx, claims, CLAIM_ROLES)
    jit = SsoPolicy(role_claim="bo_role", role_map=CLAIM_ROLES.role_map, create_users=True)
    user = sso.sign_in(ctx, _claims(ctx, "newbie", bo_role="bo-analysts", name="New Bie"), jit)
    assert (user.username, user.name, user.role, user.active) == ("newbie", "New Bie", "analyst", True)
    assert sso.SSO_USER_CREATED in _kinds(ctx, "newbie")
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, "newbie", sso.NO_LOCAL_PASSWORD)


def test_just_in_time_creation_needs_a_role_from_the_claim(ctx: Context) -> None:
    with pytest.raises(SsoRefused):
        sso.sign_in(ctx, _claims(ctx, "norole"), SsoPolicy(create_users=True))


def test_the_policy_is_read_from_the_environment_and_bad_settings_are_named() -> None:
    policy = policy_from_env(
        {
            "BO_SSO_ROLE_CLAIM": "groups",
            "BO_SSO_ROLES": "ops=analyst, leads=manager",
            "BO_SSO_CREATE_USERS": "1",
        },
        {"analyst", "manager"},
    )
    assert policy.role_map == (("ops", "analyst"), ("leads", "manager"))
    assert policy.create_users and policy.username_claim == "preferred_username"
    assert policy_from_env({}) == SsoPolicy()
    for bad, name in [
        ({"BO_SSO_ROLES": "ops"}, "BO_SSO_ROLES"),
        ({"BO_SSO_ROLES": "ops=root"}, "BO_SSO_ROLES"),
        ({"BO_SSO_CREATE_USERS": "maybe"}, "BO_SSO_CREATE_USERS"),
        ({"BO_SSO_MAX_AGE_SECONDS": "0"}, "BO_SSO_MAX_AGE_SECONDS"),
    ]:
        with pytest.raises(ConfigurationError, match=name):
            policy_from_env(bad, {"analyst", "manager"})


def test_an_administrator_provisions_a_user_without_a_local_password(ctx: Context) -> None:
    admin = add_user(ctx, "admin")
    viewer = add_user(ctx, "viewer")
    for actor in (None, "", "ghost", viewer):
        with pytest.raises(PermissionDenied):
            sso.provision_user(ctx, "sally", "analyst", actor=actor)  # type: ignore[arg-type]
    user = sso.provision_user(ctx, "sally", "analyst", name="Sally", actor=admin)
    assert (user.username, user.role, user.active) == ("sally", "analyst", True)
    for guess in (sso.NO_LOCAL_PASSWORD, "", "sally"):
        with pytest.raises(AuthenticationError):
            users.authenticate(ctx, "sally", guess)
    assert sso.sign_in(ctx, _claims(ctx, "sally"), PRE_PROVISIONED).username == "sally"
    with pytest.raises(InputError):
        sso.provision_user(ctx, "sally", "analyst", actor=admin)
    with pytest.raises(InputError):
        sso.provision_user(ctx, "other", "superuser", actor=admin)


def test_one_identity_presented_by_many_at_once_opens_one_sign_in(ctx: Context) -> None:
    add_user(ctx, "analyst", "twin")
    claims = _claims(ctx, "twin")
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            sso.sign_in(ctx, claims, PRE_PROVISIONED)
            outcomes.append("signed in")
        except IdentityNotFresh:
            outcomes.append("used already")

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["signed in"] + ["used already"] * 11
