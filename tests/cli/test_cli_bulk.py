"""`bo bulk ...` as an installed program: run id first, JSON keys, exit codes."""

from __future__ import annotations

import re
from pathlib import Path

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx, add_user, row_counts

LINE_KEYS = {"line", "outcome", "result_code", "message", "uuid"}


def write_file(tmp_path: Path, rows: list[str], name: str = "refunds.csv") -> Path:
    path = tmp_path / name
    text = "parent_uuid;operation;amount;reason\r\n" + "".join(r + ";duplicate\r\n" for r in rows)
    path.write_bytes(text.encode())
    return path


def test_bulk_run_prints_the_run_id_first_and_books_each_line(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    cp = add_tx(ctx, "CP", 10_000)
    path = write_file(tmp_path, [f"{cp};refund;30", f"{cp};refund;80", f"{cp};refund;70"])
    run = bo("bulk", "run", str(path), "--as", analyst)
    assert run.code == 0, run.stderr
    first = run.stdout.splitlines()[0]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert "line 3: refused" in run.stdout and "line 4: success" in run.stdout
    assert "lines decided" in run.stderr  # progress on the terminal
    shown = bo("bulk", "show", first, "--json").json
    assert shown["run_id"] == first and shown["dry_run"] is False
    assert [ln["outcome"] for ln in shown["lines"]] == ["success", "refused", "success"]
    assert shown["totals"] == {"EUR": "100.00"}


def test_bulk_run_json_and_dry_run(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    cp = add_tx(ctx, "CP", 10_000, currency="USD")
    path = write_file(tmp_path, [f"{cp};refund;60", f"{cp};refund;60"])
    before = row_counts(ctx)
    dry = bo("bulk", "run", str(path), "--as", analyst, "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    data = dry.json
    assert set(data) >= {"run_id", "dry_run", "lines", "totals"} and data["dry_run"] is True
    assert all(set(ln) >= LINE_KEYS for ln in data["lines"])
    assert [ln["outcome"] for ln in data["lines"]] == ["would_succeed", "refused"]
    assert data["totals"] == {"USD": "60.00"}
    assert row_counts(ctx) == before
    real = bo("bulk", "run", str(path), "--as", analyst, "--json").json
    assert [ln["outcome"] for ln in real["lines"]] == ["success", "refused"]
    assert real["lines"][0]["uuid"] and real["run_id"] != data["run_id"]
    again = bo("bulk", "run", str(path), "--as", analyst, "--json").json
    assert again["lines"][0]["uuid"] == real["lines"][0]["uuid"]
    assert row_counts(ctx)[0] == before[0] + 1
    listed = bo("bulk", "list", "--json").json
    assert [r["run_id"] for r in listed][:1] == [again["run_id"]] and len(listed) == 3
    assert {"run_id", "username", "file_name", "status", "counts", "created_at"} <= set(listed[0])


def test_a_malformed_file_exits_2_naming_every_bad_line_and_runs_nothing(
    ctx: Context, bo: Bo, tmp_path: Path
) -> None:
    analyst = add_user(ctx, "analyst")
    cp = add_tx(ctx, "CP", 10_000)
    path = write_file(tmp_path, [f"{cp};refund;1", f"{cp};refund;abc", f"{cp};explode;1"])
    run = bo("bulk", "run", str(path), "--as", analyst)
    assert run.code == 2
    assert "line 3, amount" in run.stderr and "line 4, operation" in run.stderr
    as_json = bo("bulk", "run", str(path), "--as", analyst, "--json")
    assert as_json.code == 2
    assert [(p["line"], p["column"]) for p in as_json.json["problems"]] == [(3, "amount"), (4, "operation")]
    assert bo("bulk", "list", "--json").json == []


def test_too_many_lines_is_a_malformed_file(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    cp = add_tx(ctx, "CP", 10_000)
    path = write_file(tmp_path, [f"{cp};refund;1"] * 3)
    run = bo("bulk", "run", str(path), "--as", analyst, "--max-lines", "2")
    assert run.code == 2 and "line 4" in run.stderr


def test_unknown_run_and_missing_file(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    assert bo("bulk", "show", "0" * 32, "--json").code == 1
    assert bo("bulk", "run", str(tmp_path / "nope.csv"), "--as", analyst).code == 2


def test_the_result_file_is_printed_by_show_csv(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    cp = add_tx(ctx, "CP", 10_000)
    run_id = bo("bulk", "run", str(write_file(tmp_path, [f"{cp};refund;5"])), "--as", analyst, "--json").json[
        "run_id"
    ]
    text = bo("bulk", "show", run_id, "--csv").stdout
    header, line = text.splitlines()[:2]
    assert header.endswith("outcome,result_code,message,uuid")
    assert line.startswith(cp) and ",success,000.000.000," in line
