"""`bo secrets generate`, `bo users remove-demo`, `bo users revoke-sessions`, `bo security events`."""

from __future__ import annotations

import pytest

from bo_core.demo import DEMO_USERS, create_demo_users
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError
from bo_core.security import sessions
from bo_core.security.keys import MIN_KEY_BITS, key_strength_bits, weak_key_reason
from bo_core.services import users
from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_user


def test_secrets_generate_prints_a_key_strong_enough_and_different_each_time(bo: Bo) -> None:
    first, second = bo("secrets", "generate"), bo("secrets", "generate")
    assert first.code == second.code == 0
    key = first.stdout.strip()
    assert key != second.stdout.strip()
    assert key_strength_bits(key) >= MIN_KEY_BITS and weak_key_reason(key) is None
    assert bo("secrets", "generate", "--json").json["bits"] >= MIN_KEY_BITS


def test_users_remove_demo_deletes_only_demo_users(bo: Bo, ctx: Context) -> None:
    create_demo_users(ctx)
    add_user(ctx, "admin", "ada")
    run = bo("users", "remove-demo", "--json")
    assert run.code == 0
    assert set(run.json["removed"]) == {name for name, _role, _password in DEMO_USERS}
    assert [u.username for u in users.list_users(ctx, actor=SYSTEM)] == ["ada"]
    assert bo("users", "remove-demo", "--json").json["removed"] == []


def test_users_revoke_sessions_ends_them_at_once(bo: Bo, ctx: Context) -> None:
    add_user(ctx, "analyst", "ann")
    token = sessions.issue(ctx, "ann", method="password")
    run = bo("users", "revoke-sessions", "ann", "--json")
    assert (run.code, run.json["ended"]) == (0, 1)
    assert sessions.validate(ctx, token) == sessions.Refusal("revoked")
    assert bo("users", "revoke-sessions", "nobody").code == 1
    kinds = [e["kind"] for e in bo("security", "events", "--user", "ann", "--json").json]
    assert "session_revoked" in kinds and "sign_in" in kinds


def test_demo_users_are_not_added_to_a_database_with_real_users(bo: Bo, ctx: Context) -> None:
    add_user(ctx, "admin", "ada")
    run = bo("demo", "--transactions", "10", "--users", "--json")
    assert run.code == 2
    assert not users.demo_users_exist(ctx)


def test_users_create_sso_makes_a_user_without_a_password(bo: Bo, ctx: Context) -> None:
    run = bo("users", "create", "sol", "--role", "analyst", "--sso", "--json")
    assert run.code == 0 and run.json["username"] == "sol" and run.json["role"] == "analyst"
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, "sol", "")
    assert bo("users", "create", "sol", "--role", "analyst", "--sso", "--json").code == 2
