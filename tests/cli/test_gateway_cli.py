"""`bo run` in gateway mode, `bo gateway import|reconcile`, `bo history`, and settings errors."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bo_core.services.context import Context
from tests.cli.conftest import BO, Run
from tests.factories import add_user
from tests.gateway_support import SandboxProcess, in_opp_mode, opp_env, parent_at_gateway


def bo(ctx: Context, *args: str, **env: str) -> Run:
    full = {**os.environ, "BO_DATABASE_URL": ctx.db.url, **env}
    full.pop("BO_DEBUG", None)
    proc = subprocess.run([str(BO), *args], capture_output=True, text=True, env=full, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_run_exit_codes_are_0_success_1_refused_or_rejected_3_unknown(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(ctx, sandbox.url)
    env = opp_env(sandbox.url, timeout=3.0)
    analyst = add_user(opp, "analyst")
    pa = parent_at_gateway(sandbox, opp, "PA", "100.00")

    ok = bo(opp, "run", "capture", pa, "--as", analyst, "--amount", "20.00", "--json", **env)
    assert ok.code == 0, ok.stderr
    assert ok.json["status"] == "success" and ok.json["gateway_id"] == ok.json["uuid"]

    refused = bo(opp, "run", "capture", pa, "--as", analyst, "--amount", "500.00", "--json", **env)
    assert refused.code == 1 and refused.json["outcome"] == "refused"

    rejected = bo(opp, "run", "reversal", pa, "--as", analyst, "--json", **env)  # reversal after a capture
    assert rejected.code == 1 and (rejected.json["outcome"], rejected.json["result_code"]) == (
        "rejected",
        "700.400.300",
    )

    sandbox.faults({"kind": "timeout_after_booking", "seconds": 4.0})  # books, then answers too late
    unknown = bo(opp, "run", "capture", pa, "--as", analyst, "--amount", "10.00", "--json", **env)
    assert unknown.code == 3, unknown.stdout + unknown.stderr
    data = unknown.json
    assert (data["status"], data["outcome"]) == ("pending", "unknown") and data["pending_reason"]
    assert "gateway_id" in data

    resolved = bo(opp, "gateway", "reconcile", "--older-than", "0", "--json", **env)
    assert resolved.code == 0, resolved.stderr
    assert resolved.json["resolved"] == 1 and resolved.json["changes"][0]["status"] == "success"
    twice = bo(opp, "gateway", "reconcile", "--older-than", "0", "--json", **env)
    assert (twice.json["checked"], twice.json["resolved"]) == (0, 0)

    history = bo(opp, "history", "--json", **env).json
    by = {(e["username"], e["outcome"]) for e in history}
    assert ("reconciler", "success") in by and (analyst, "pending") in by and (analyst, "rejected") in by


def test_reconcile_waits_for_the_grace_period_then_rejects_what_the_gateway_never_saw(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(ctx, sandbox.url)
    env = opp_env(sandbox.url)
    analyst = add_user(opp, "analyst")
    db = parent_at_gateway(sandbox, opp, "DB", "40.00")
    sandbox.faults({"kind": "error_before_booking"})
    sent = bo(
        opp,
        "run",
        "refund",
        "--reason",
        "duplicate",
        db,
        "--as",
        analyst,
        "--amount",
        "40.00",
        "--json",
        **env,
    )
    assert sent.code == 3
    assert bo(opp, "gateway", "reconcile", "--json", **env).json["checked"] == 0  # younger than 600 s
    done = bo(opp, "gateway", "reconcile", "--older-than", "0", "--json", **env).json
    assert done["changes"][0]["result_code"] == "700.400.580"
    shown = bo(opp, "show", db, "--json", **env).json
    assert shown["balances"]["available"] == "40.00"  # the reservation is released


def test_gateway_import_prints_integer_counts_and_is_idempotent(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    own = uuid.uuid4().hex
    env = {**opp_env(sandbox.url), "BO_GATEWAY_ENTITY_ID": own}
    # The window ends before the current second (--to is exclusive at second precision).
    end = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    sandbox.admin("generate", {"count": 120, "entityId": own, "end": end})
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    first = bo(ctx, "gateway", "import", "--from", since, "--json", **env)
    assert first.code == 0, first.stderr
    keys = ("added", "updated", "unchanged", "skipped")
    assert [first.json[k] for k in keys] == [120, 0, 0, 0]
    assert all(isinstance(first.json[k], int) for k in keys)
    again = bo(ctx, "gateway", "import", "--from", since, "--json", **env).json
    assert [again[k] for k in keys] == [0, 0, 120, 0]
    text = bo(ctx, "gateway", "import", "--from", since, **env)
    assert "unchanged 120" in text.stdout


@pytest.mark.slow
def test_a_window_of_ten_thousand_transactions_imports_completely(
    sqlite_ctx: Context, sandbox: SandboxProcess
) -> None:
    own = uuid.uuid4().hex
    env = {**opp_env(sandbox.url), "BO_GATEWAY_ENTITY_ID": own}
    # The window ends before the current second (--to is exclusive at second precision).
    end = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    sandbox.admin("generate", {"count": 10_000, "entityId": own, "end": end})
    since = (datetime.now(UTC) - timedelta(hours=4)).strftime("%Y-%m-%d")
    run = bo(sqlite_ctx, "gateway", "import", "--from", since, "--json", **env)
    assert run.code == 0, run.stderr
    assert (run.json["added"], run.json["records"], run.json["skipped"]) == (10_000, 10_000, 0)
    print(f"\nimport throughput: {run.json['per_second']} transactions/s ({run.json['seconds']} s)")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BO_GATEWAY": "opp"}, "BO_GATEWAY_URL"),
        ({"BO_GATEWAY": "paypal"}, "BO_GATEWAY"),
        ({**opp_env("http://127.0.0.1:9"), "BO_WEBHOOK_SECRET": "short"}, "BO_WEBHOOK_SECRET"),
        ({**opp_env("http://127.0.0.1:9"), "BO_GATEWAY_ENTITIES": "/missing.toml"}, "BO_GATEWAY_ENTITIES"),
    ],
)
def test_missing_or_malformed_settings_stop_bo_naming_the_setting(
    sqlite_ctx: Context, env: dict[str, str], named: str
) -> None:
    clean = {k: "" for k in opp_env("x")}
    run = bo(sqlite_ctx, "search", "--json", **{**clean, **env})
    assert run.code != 0 and named in run.stderr
    assert (
        "Traceback" not in run.stderr and json.loads(run.stdout or "{}").get("error", named).find(named) >= 0
    )
