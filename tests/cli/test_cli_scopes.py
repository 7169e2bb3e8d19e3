"""`bo users assign/unassign/show` and `--as USER` on read commands, on both backends."""

from __future__ import annotations

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx, add_user


def test_assign_show_and_unassign_a_merchant_and_a_channel(ctx: Context, bo: Bo) -> None:
    user = add_user(ctx, "analyst", scoped=True)
    assert bo("users", "show", user, "--json").json["scope"] == []
    assert bo("users", "assign", user, "--merchant", "alpha", "--json").code == 0
    run = bo("users", "assign", user, "--merchant", "beta", "--channel", "web", "--json")
    assert run.json["scope"] == [
        {"merchant": "alpha", "channel": None},
        {"merchant": "beta", "channel": "web"},
    ]
    gone = bo("users", "unassign", user, "--merchant", "alpha", "--json")
    assert gone.code == 0 and gone.json["scope"] == [{"merchant": "beta", "channel": "web"}]
    assert bo("users", "assign", user).code == 2  # --merchant is required


def test_an_admin_grants_only_what_they_hold(ctx: Context, bo: Bo) -> None:
    admin = add_user(ctx, "admin", scoped=True)
    bo("users", "assign", admin, "--merchant", "alpha")
    user = add_user(ctx, "viewer", scoped=True)
    assert bo("users", "assign", user, "--merchant", "alpha", "--as", admin).code == 0
    refused = bo("users", "assign", user, "--merchant", "*", "--as", admin)
    assert refused.code == 1 and "only what you hold" in refused.stderr


def test_search_show_and_history_as_a_user_apply_the_users_scope(ctx: Context, bo: Bo) -> None:
    mine = add_tx(ctx, "DB", merchant="alpha")
    other = add_tx(ctx, "DB", merchant="beta")
    manager = add_user(ctx, "manager", scoped=True)
    bo("users", "assign", manager, "--merchant", "alpha")
    assert {r["uuid"] for r in bo("search", "--json").json} == {mine, other}
    assert [r["uuid"] for r in bo("search", "--as", manager, "--json").json] == [mine]
    hidden = bo("show", other, "--as", manager, "--json")
    missing = bo("show", "f" * 32, "--as", manager, "--json")
    assert hidden.code == missing.code == 1
    assert hidden.json["error"].replace(other, "X") == missing.json["error"].replace("f" * 32, "X")
    assert bo("history", "--as", manager, "--json").json == []
    viewer = add_user(ctx, "viewer")
    assert bo("history", "--as", viewer, "--json").code == 1  # the role applies too
