"""`bo audit events`, `bo audit verify` over both chains, origin in `bo history`, `bo db grant`."""

from __future__ import annotations

import getpass
import os
import subprocess

from bo_core.services.context import Context
from tests.cli.conftest import BO, Bo
from tests.factories import add_tx, add_user


def test_audit_events_lists_security_events_with_filters(ctx: Context, bo: Bo) -> None:
    admin = add_user(ctx, "admin", "ada")
    assert bo("users", "disable", "ada").code == 0
    assert bo("users", "enable", "ada").code == 0
    every = bo("audit", "events", "--json")
    assert every.code == 0
    kinds = [e["kind"] for e in every.json]
    assert {"user_created", "scope_assigned", "user_disabled", "user_enabled", "roles_loaded"} <= set(kinds)
    for event in every.json:
        assert {"seq", "at", "kind", "user", "target", "channel", "details"} <= event.keys()
    disabled = bo("audit", "events", "--kind", "user_disabled", "--user", admin, "--json").json
    assert [(e["kind"], e["user"], e["target"], e["channel"]) for e in disabled] == [
        ("user_disabled", "system", "ada", "cli")
    ]
    assert disabled[0]["os_user"] == getpass.getuser()
    assert bo("audit", "events", "--since", "2999-01-01", "--json").json == []
    assert bo("audit", "events", "--kind", "nonsense").code == 2
    assert bo("audit", "events", "--as", add_user(ctx, "manager"), "--json").code == 1
    assert bo("audit", "events", "--as", admin, "--json").code == 0


def test_history_names_the_channel_and_the_os_user_acting_for_the_user(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", amount_minor=100_000)
    assert bo("run", "refund", parent, "--amount", "1.00", "--as", analyst, "--json").code == 0
    [entry] = bo("history", "--json").json
    assert (entry["username"], entry["channel"], entry["os_user"]) == (analyst, "cli", getpass.getuser())
    verify = bo("audit", "verify")
    assert verify.code == 0
    assert "audit chain intact: 1 records" in verify.stdout
    assert "security events chain intact" in verify.stdout
    report = bo("audit", "verify", "--json").json
    assert report["ok"] and report["security_events"]["ok"] and report["gaps"] == []


def test_db_grant_needs_postgresql_and_an_existing_role(ctx: Context, bo: Bo) -> None:
    run = bo("db", "grant", "--app-role", "bo_app_missing_role", "--print")
    assert run.code == 2
    assert ("PostgreSQL only" if ctx.db.is_sqlite else "does not exist") in run.stderr
    assert bo("db", "grant", "--app-role", "bad name;", "--print").code == 2


def test_the_webhook_receiver_refuses_to_start_without_the_audit_key(sqlite_url: str) -> None:
    from tests.gateway_support import opp_env

    env = {**os.environ, **opp_env("http://127.0.0.1:9"), "BO_DATABASE_URL": sqlite_url}
    env.pop("BO_AUDIT_KEY")
    env.pop("BO_DEMO_MODE", None)
    proc = subprocess.run(
        [str(BO), "webhooks", "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "BO_AUDIT_KEY" in proc.stderr
