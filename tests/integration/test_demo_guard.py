"""Demo mode runs only on an empty or demo-only embedded database; demo users can be removed."""

from __future__ import annotations

import pytest

from bo_core.demo import DEMO_USERS, create_demo_users, ensure_demo
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import ConfigurationError, PermissionDenied
from bo_core.security import demo_guard, events, sessions
from bo_core.services import users
from bo_core.services.context import Context
from tests.factories import add_tx, add_user


@pytest.mark.postgres
def test_demo_mode_is_refused_on_postgresql_even_when_empty(postgres_url: str) -> None:
    from tests.conftest import make_context

    ctx = make_context(postgres_url)
    try:
        with pytest.raises(ConfigurationError, match="never on PostgreSQL"):
            demo_guard.check_demo_database(ctx)
    finally:
        ctx.db.dispose()


def test_an_empty_or_demo_only_sqlite_file_is_accepted(sqlite_ctx: Context) -> None:
    assert demo_guard.demo_database_problem(sqlite_ctx) is None
    ensure_demo(sqlite_ctx, transactions=50)
    assert demo_guard.demo_database_problem(sqlite_ctx) is None


def test_a_sqlite_file_with_a_real_user_is_refused(sqlite_ctx: Context) -> None:
    add_user(sqlite_ctx, "admin", "ada")
    with pytest.raises(ConfigurationError, match="not demo users"):
        demo_guard.check_demo_database(sqlite_ctx)


def test_a_sqlite_file_with_real_transactions_and_no_demo_users_is_refused(sqlite_ctx: Context) -> None:
    add_tx(sqlite_ctx)
    with pytest.raises(ConfigurationError, match="did not create"):
        demo_guard.check_demo_database(sqlite_ctx)


def test_removing_the_demo_users_ends_their_sessions_and_keeps_real_users(ctx: Context) -> None:
    create_demo_users(ctx)
    add_user(ctx, "admin", "ada")
    token = sessions.issue(ctx, "admin", method="password")
    removed = demo_guard.remove_demo_users(ctx, actor="ada")
    assert removed == sorted(name for name, _role, _password in DEMO_USERS)
    assert not users.demo_users_exist(ctx)
    assert [u.username for u in users.list_users(ctx, actor=SYSTEM)] == ["ada"]
    assert sessions.validate(ctx, token) == sessions.Refusal("unknown")
    assert events.DEMO_USERS_REMOVED in [e.kind for e in events.list_security_events(ctx)]


def test_removing_the_demo_users_needs_an_actor_who_manages_users(ctx: Context) -> None:
    create_demo_users(ctx)
    add_user(ctx, "manager", "mona")
    for actor in (None, "", "ghost", "mona"):
        with pytest.raises(PermissionDenied):
            demo_guard.remove_demo_users(ctx, actor=actor)  # type: ignore[arg-type]
    assert users.demo_users_exist(ctx)
    assert demo_guard.remove_demo_users(ctx, actor=SYSTEM)
    assert not users.demo_users_exist(ctx)
