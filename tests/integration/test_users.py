"""User administration and sign-in on both backends: validation, roles, lockout."""

from __future__ import annotations

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError, InputError, NotFound
from bo_core.services import users
from bo_core.services.context import Context
from tests.factories import PASSWORD, Clock

GOOD = "a long enough passphrase"


def fail_sign_in(ctx: Context, username: str, password: str = "wrong password!!") -> str:
    with pytest.raises(AuthenticationError) as err:
        users.authenticate(ctx, username, password)
    return err.value.message


# Creating users


def test_create_user_stores_a_hashed_password_and_the_given_fields(ctx: Context, clock: Clock) -> None:
    user = users.create_user(
        ctx, " Alice.M ", "analyst", GOOD, name="Alice M", email="alice@example.com", actor=SYSTEM
    )
    assert (user.username, user.role, user.name, user.email, user.active) == (
        "alice.m",
        "analyst",
        "Alice M",
        "alice@example.com",
        True,
    )
    assert user.created_at == clock()
    assert users.get_user(ctx, "alice.m", actor=SYSTEM) == user
    assert users.authenticate(ctx, "alice.m", GOOD).username == "alice.m"


def test_name_defaults_to_the_username(ctx: Context) -> None:
    assert users.create_user(ctx, "bob", "viewer", GOOD, actor=SYSTEM).name == "bob"


@pytest.mark.parametrize(
    "bad", ["", "a", "-dash-first", "has space", "ümlaut", "x" * 65, "semi;colon", None, 7]
)
def test_bad_usernames_are_refused(ctx: Context, bad: object) -> None:
    with pytest.raises(InputError) as err:
        users.create_user(ctx, bad, "viewer", GOOD, actor=SYSTEM)  # type: ignore[arg-type]
    assert err.value.field == "Username"
    assert users.list_users(ctx, actor=SYSTEM) == []


def test_username_length_bounds_are_2_and_64(ctx: Context) -> None:
    assert users.create_user(ctx, "ab", "viewer", GOOD, actor=SYSTEM).username == "ab"
    assert users.create_user(ctx, "c" * 64, "viewer", GOOD, actor=SYSTEM).username == "c" * 64


def test_password_shorter_than_the_minimum_is_refused(ctx: Context) -> None:
    minimum = ctx.settings.password_min_length
    with pytest.raises(InputError, match=f"at least {minimum}"):
        users.create_user(ctx, "carol", "viewer", "x" * (minimum - 1), actor=SYSTEM)
    assert users.create_user(ctx, "carol", "viewer", "x" * minimum, actor=SYSTEM).username == "carol"


def test_password_over_72_bytes_is_refused_even_if_under_72_characters(ctx: Context) -> None:
    with pytest.raises(InputError, match="72 bytes"):
        users.create_user(ctx, "dave", "viewer", "é" * 37, actor=SYSTEM)  # 37 characters, 74 bytes
    with pytest.raises(InputError, match="72 bytes"):
        users.create_user(ctx, "dave", "viewer", "x" * 73, actor=SYSTEM)
    assert users.create_user(ctx, "dave", "viewer", "x" * 72, actor=SYSTEM).username == "dave"
    assert users.authenticate(ctx, "dave", "x" * 72).username == "dave"


def test_non_text_password_is_refused(ctx: Context) -> None:
    with pytest.raises(InputError, match="must be text"):
        users.create_user(ctx, "erin", "viewer", 123456789012, actor=SYSTEM)  # type: ignore[arg-type]


def test_unknown_role_is_refused_naming_the_known_ones(ctx: Context) -> None:
    with pytest.raises(
        InputError, match="'superuser' is unknown; use one of admin, analyst, manager, viewer"
    ):
        users.create_user(ctx, "frank", "superuser", GOOD, actor=SYSTEM)
    assert users.list_users(ctx, actor=SYSTEM) == []


@pytest.mark.parametrize(("email", "name"), [("not-an-email", None), ("a@b\x00c", None), (None, "bad\nname")])
def test_bad_email_or_name_is_refused(ctx: Context, email: str | None, name: str | None) -> None:
    with pytest.raises(InputError):
        users.create_user(ctx, "gina", "viewer", GOOD, name=name, email=email, actor=SYSTEM)


def test_duplicate_username_is_refused_case_insensitively(ctx: Context) -> None:
    users.create_user(ctx, "hank", "viewer", GOOD, actor=SYSTEM)
    with pytest.raises(InputError, match="already exists"):
        users.create_user(ctx, "HANK", "admin", GOOD, actor=SYSTEM)
    assert [u.role for u in users.list_users(ctx, actor=SYSTEM)] == ["viewer"]


def test_list_users_is_sorted_by_username(ctx: Context) -> None:
    for name in ("zoe", "adam", "mia"):
        users.create_user(ctx, name, "viewer", GOOD, actor=SYSTEM)
    assert [u.username for u in users.list_users(ctx, actor=SYSTEM)] == ["adam", "mia", "zoe"]


# Changing users


def test_set_role_changes_the_role_and_refuses_unknown_roles(ctx: Context) -> None:
    users.create_user(ctx, "ivan", "viewer", GOOD, actor=SYSTEM)
    assert users.set_role(ctx, "ivan", "manager", actor=SYSTEM).role == "manager"
    with pytest.raises(InputError, match="unknown"):
        users.set_role(ctx, "ivan", "owner", actor=SYSTEM)
    assert users.get_user(ctx, "ivan", actor=SYSTEM).role == "manager"
    with pytest.raises(NotFound):
        users.set_role(ctx, "nobody", "viewer", actor=SYSTEM)


def test_disable_then_enable_user(ctx: Context) -> None:
    users.create_user(ctx, "judy", "analyst", GOOD, actor=SYSTEM)
    assert users.disable_user(ctx, "judy", actor=SYSTEM).active is False
    assert users.get_user(ctx, "judy", actor=SYSTEM).active is False
    assert users.enable_user(ctx, "judy", actor=SYSTEM).active is True
    with pytest.raises(NotFound):
        users.disable_user(ctx, "nobody", actor=SYSTEM)


def test_set_password_replaces_the_old_one(ctx: Context) -> None:
    users.create_user(ctx, "kim", "viewer", GOOD, actor=SYSTEM)
    users.set_password(ctx, "kim", "another long passphrase", actor=SYSTEM)
    fail_sign_in(ctx, "kim", GOOD)
    assert users.authenticate(ctx, "kim", "another long passphrase").username == "kim"
    with pytest.raises(InputError):
        users.set_password(ctx, "kim", "short", actor=SYSTEM)


# Signing in


def test_sign_in_succeeds_with_the_right_password_in_any_username_case(ctx: Context) -> None:
    users.create_user(ctx, "leo", "manager", PASSWORD, actor=SYSTEM)
    assert users.authenticate(ctx, "  LEO ", PASSWORD).role == "manager"


def test_wrong_password_and_unknown_user_get_the_same_message(ctx: Context) -> None:
    users.create_user(ctx, "max", "viewer", PASSWORD, actor=SYSTEM)
    assert fail_sign_in(ctx, "max") == fail_sign_in(ctx, "nobody-here") == "Username or password is incorrect"


@pytest.mark.parametrize(("username", "password"), [("", ""), (None, None), ("max", "")])
def test_empty_or_missing_credentials_are_refused(ctx: Context, username: object, password: object) -> None:
    users.create_user(ctx, "max", "viewer", PASSWORD, actor=SYSTEM)
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, username, password)  # type: ignore[arg-type]


def test_disabled_user_cannot_sign_in_even_with_the_right_password(ctx: Context) -> None:
    users.create_user(ctx, "ned", "admin", PASSWORD, actor=SYSTEM)
    users.disable_user(ctx, "ned", actor=SYSTEM)
    assert fail_sign_in(ctx, "ned", PASSWORD) == "This account is disabled"
    users.enable_user(ctx, "ned", actor=SYSTEM)
    assert users.authenticate(ctx, "ned", PASSWORD).username == "ned"


def test_lockout_after_n_failures_refuses_even_the_right_password_until_it_expires(
    ctx: Context, clock: Clock
) -> None:
    users.create_user(ctx, "olga", "analyst", PASSWORD, actor=SYSTEM)
    attempts, minutes = ctx.settings.lockout_attempts, ctx.settings.lockout_minutes
    for _ in range(attempts - 1):
        assert fail_sign_in(ctx, "olga") == "Username or password is incorrect"
        clock.advance(seconds=10)
    fail_sign_in(ctx, "olga")
    assert "locked" in fail_sign_in(ctx, "olga", PASSWORD)
    clock.advance(minutes=minutes - 1)
    assert "locked for 1 more minute" in fail_sign_in(ctx, "olga", PASSWORD)
    clock.advance(minutes=1, seconds=1)
    assert users.authenticate(ctx, "olga", PASSWORD).username == "olga"


def test_fewer_than_n_failures_do_not_lock_and_a_success_clears_them(ctx: Context) -> None:
    users.create_user(ctx, "pat", "viewer", PASSWORD, actor=SYSTEM)
    attempts = ctx.settings.lockout_attempts
    for _ in range(attempts - 1):
        fail_sign_in(ctx, "pat")
    users.authenticate(ctx, "pat", PASSWORD)
    for _ in range(attempts - 1):
        fail_sign_in(ctx, "pat")
    assert users.authenticate(ctx, "pat", PASSWORD).username == "pat"


def test_failures_spread_wider_than_the_window_do_not_lock(ctx: Context, clock: Clock) -> None:
    users.create_user(ctx, "quinn", "viewer", PASSWORD, actor=SYSTEM)
    for _ in range(ctx.settings.lockout_attempts * 2):
        fail_sign_in(ctx, "quinn")
        clock.advance(minutes=ctx.settings.lockout_minutes // 2 + 1)
    assert users.authenticate(ctx, "quinn", PASSWORD).username == "quinn"


def test_one_failure_after_the_lock_expired_does_not_lock_again(ctx: Context, clock: Clock) -> None:
    users.create_user(ctx, "rosa", "viewer", PASSWORD, actor=SYSTEM)
    for _ in range(ctx.settings.lockout_attempts):
        fail_sign_in(ctx, "rosa")
    clock.advance(minutes=ctx.settings.lockout_minutes)
    assert fail_sign_in(ctx, "rosa") == "Username or password is incorrect"
    assert users.authenticate(ctx, "rosa", PASSWORD).username == "rosa"


def test_unknown_usernames_are_throttled_too(ctx: Context, clock: Clock) -> None:
    for _ in range(ctx.settings.lockout_attempts):
        assert fail_sign_in(ctx, "ghost").startswith("Username or password is incorrect")
    assert "locked" in fail_sign_in(ctx, "ghost")
    assert "locked" in fail_sign_in(ctx, "GHOST")
    clock.advance(minutes=ctx.settings.lockout_minutes, seconds=1)
    assert fail_sign_in(ctx, "ghost") == "Username or password is incorrect"


def test_lockout_of_one_username_does_not_affect_another(ctx: Context) -> None:
    users.create_user(ctx, "sam", "viewer", PASSWORD, actor=SYSTEM)
    users.create_user(ctx, "tess", "viewer", PASSWORD, actor=SYSTEM)
    for _ in range(ctx.settings.lockout_attempts):
        fail_sign_in(ctx, "sam")
    assert "locked" in fail_sign_in(ctx, "sam", PASSWORD)
    assert users.authenticate(ctx, "tess", PASSWORD).username == "tess"


def test_an_unknown_username_is_checked_against_a_dummy_hash_made_lazily_at_the_configured_cost(
    ctx: Context,
) -> None:
    from bo_core.security import signin

    signin.dummy_hash.cache_clear()
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, "nobody-here", PASSWORD)
    assert signin.dummy_hash.cache_info().currsize == 1
    assert signin.dummy_hash(ctx.settings.bcrypt_rounds).startswith(
        f"$2b${ctx.settings.bcrypt_rounds:02d}$".encode()
    )
