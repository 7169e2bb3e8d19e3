"""The `bo` command line, run as an installed program: names, JSON keys, exit codes."""

from __future__ import annotations

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import PASSWORD, add_tx, add_user


def test_db_upgrade_reports_head_revision(bo: Bo) -> None:
    run = bo("db", "upgrade")
    assert run.code == 0 and "revision" in run.stdout


def test_users_create_reads_password_from_stdin_and_lists_user(bo: Bo) -> None:
    run = bo(
        "users",
        "create",
        "carla",
        "--role",
        "manager",
        "--name",
        "Carla M",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert run.code == 0, run.stderr
    assert run.json["username"] == "carla" and run.json["role"] == "manager"
    listed = bo("users", "list", "--json").json
    assert [u["username"] for u in listed] == ["carla"]


def test_users_create_refuses_short_password_and_unknown_role(bo: Bo) -> None:
    short = bo("users", "create", "dave", "--role", "analyst", "--password-stdin", stdin="short\n")
    assert short.code == 2 and "at least" in short.stderr
    role = bo("users", "create", "dave", "--role", "wizard", "--password-stdin", stdin=PASSWORD + "\n")
    assert role.code == 2 and "unknown" in role.stderr
    assert bo("users", "list", "--json").json == []


def test_users_create_without_password_stdin_is_a_usage_error(bo: Bo) -> None:
    run = bo("users", "create", "erin", "--role", "viewer")
    assert run.code == 2 and "--password-stdin" in run.stderr


def test_set_role_and_disable_change_the_user(ctx: Context, bo: Bo) -> None:
    name = add_user(ctx, "viewer")
    assert bo("users", "set-role", name, "analyst", "--json").json["role"] == "analyst"
    assert bo("users", "disable", name, "--json").json["active"] is False


def test_show_prints_contract_keys_and_available_operations(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    pa = add_tx(ctx, "PA", 5_000)
    data = bo("show", pa, "--as", analyst, "--json").json
    for key in (
        "uuid",
        "transaction_id",
        "type",
        "status",
        "result_code",
        "amount",
        "currency",
        "parent_uuid",
        "children",
        "balances",
    ):
        assert key in data
    assert data["type"] == "PA" and data["status"] == "success" and data["amount"] == "50.00"
    assert data["available_operations"] == ["capture", "reversal"]
    assert "available_operations" not in bo("show", pa, "--json").json


def test_run_success_prints_result_and_exits_zero(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    run = bo(
        "run",
        "refund",
        "--reason",
        "duplicate",
        debit,
        "--as",
        analyst,
        "--amount",
        "5.00",
        "--transaction-id",
        "RF-CLI-1",
        "--json",
    )
    assert run.code == 0, run.stderr
    for key in ("uuid", "transaction_id", "result_code", "status", "message"):
        assert key in run.json
    assert run.json["transaction_id"] == "RF-CLI-1" and run.json["status"] == "success"
    child = bo("show", run.json["uuid"], "--json").json
    assert child["type"] == "RF" and child["parent_uuid"] == debit and child["amount"] == "5.00"


def test_run_refusal_prints_json_and_exits_one(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    run = bo("run", "refund", "--reason", "duplicate", debit, "--as", analyst, "--amount", "25.00", "--json")
    assert run.code == 1
    assert run.json["result_code"] == "700.400.200" and run.json["uuid"] is None
    assert bo("show", debit, "--json").json["children"] == []


def test_run_permission_denied_exits_one_with_code(ctx: Context, bo: Bo) -> None:
    viewer = add_user(ctx, "viewer")
    debit = add_tx(ctx, "DB", 2_000)
    run = bo("run", "refund", "--reason", "duplicate", debit, "--as", viewer, "--amount", "1.00", "--json")
    assert run.code == 1 and run.json["result_code"] == "800.900.301"


def test_run_bad_amount_is_input_error_exit_two_and_writes_nothing(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    for bad in ("1e3", "-5", "abc", "1.234", "0"):
        run = bo("run", "refund", "--reason", "duplicate", debit, "--as", analyst, "--amount", bad, "--json")
        assert run.code == 2, (bad, run.stdout)
        assert "Amount" in run.json["error"]
    assert bo("history", "--json").json == []


def test_run_unknown_operation_and_unknown_uuid(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    assert bo("run", "teleport", "0" * 32, "--as", analyst).code == 2
    missing = bo(
        "run", "refund", "--reason", "duplicate", "f" * 32, "--as", analyst, "--amount", "1", "--json"
    )
    assert missing.code == 1 and missing.json["result_code"] == "700.100.100"


def test_idempotency_key_replays_first_result(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    pa = add_tx(ctx, "PA", 9_000)
    args = ("run", "capture", pa, "--as", analyst, "--amount", "10", "--idempotency-key", "cli-k1", "--json")
    first, second = bo(*args).json, bo(*args).json
    assert first["uuid"] == second["uuid"] and second["replayed"] is True
    assert len(bo("show", pa, "--json").json["children"]) == 1


def test_history_json_and_csv_list_attempts(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    bo("run", "refund", "--reason", "duplicate", debit, "--as", analyst, "--amount", "1", "--json")
    bo("run", "refund", "--reason", "duplicate", debit, "--as", analyst, "--amount", "100", "--json")
    entries = bo("history", "--json").json
    assert sorted(e["outcome"] for e in entries) == ["refused", "success"]
    refused = bo("history", "--outcome", "refused", "--json").json
    assert len(refused) == 1 and refused[0]["result_code"] == "700.400.200"
    csv_out = bo("history", "--csv").stdout.splitlines()
    assert len(csv_out) == 3  # header + two attempts


def test_audit_verify_passes_on_untouched_trail(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    bo("run", "refund", "--reason", "duplicate", debit, "--as", analyst, "--amount", "1", "--json")
    run = bo("audit", "verify", "--json")
    assert run.code == 0 and run.json["ok"] is True and run.json["records"] == 1


def test_search_filters_and_json_rows(ctx: Context, bo: Bo) -> None:
    add_tx(ctx, "PA", 1_000, transaction_id="ORD-PA-1")
    add_tx(ctx, "DB", 2_000, currency="JPY", transaction_id="ORD-DB-1")
    rows = bo("search", "--type", "DB", "--json").json
    assert [r["transaction_id"] for r in rows] == ["ORD-DB-1"]
    assert rows[0]["amount"] == "2000" and rows[0]["currency"] == "JPY"
    assert bo("search", "--text", "ORD-PA-1", "--json").json[0]["type"] == "PA"
    bad = bo("search", "--currency", "EURO", "--json")
    assert bad.code == 2
