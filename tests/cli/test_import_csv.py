"""`bo import transactions FILE.csv`: bo's own export, loaded back; bad lines named; all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

from bo_core.demo import generate_demo
from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.search import SearchFilters, export_csv
from tests.cli.conftest import Bo
from tests.conftest import make_context
from tests.factories import row_counts


def exported(ctx: Context) -> str:
    out = io.StringIO()
    export_csv(ctx, SearchFilters(), out, actor=SYSTEM)
    return out.getvalue()


def test_export_then_import_into_an_empty_database_gives_the_same_rows(
    sqlite_ctx: Context, tmp_path: Path, bo: Bo
) -> None:
    generate_demo(sqlite_ctx, 400, seed=3)
    csv_text = exported(sqlite_ctx)
    path = tmp_path / "export.csv"
    path.write_text(csv_text, encoding="utf-8")
    empty = make_context(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    target = Bo(empty.db.url)
    dry = target("import", "transactions", str(path), "--dry-run", "--json")
    assert dry.code == 0 and dry.json["added"] == row_counts(sqlite_ctx)[0]
    assert row_counts(empty) == (0, 0)
    run = target("import", "transactions", str(path), "--json")
    assert run.code == 0, run.stderr
    assert exported(empty) == csv_text
    again = target("import", "transactions", str(path), "--json")
    assert (again.json["added"], again.json["unchanged"]) == (0, row_counts(sqlite_ctx)[0])


def test_bad_lines_are_reported_by_number_and_nothing_is_written(
    sqlite_ctx: Context, tmp_path: Path, bo: Bo
) -> None:
    generate_demo(sqlite_ctx, 30, seed=5)
    lines = exported(sqlite_ctx).splitlines()
    lines[3] = "zz" + lines[3][2:]  # the UUID is no longer hex
    lines[7] = "not,a,transaction"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    empty = make_context(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    run = Bo(empty.db.url)("import", "transactions", str(path))
    assert run.code == 2
    assert "line 4:" in run.stderr and "line 8:" in run.stderr
    assert row_counts(empty) == (0, 0)


def test_a_file_that_is_not_an_export_is_refused(sqlite_ctx: Context, tmp_path: Path, bo: Bo) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    run = bo("import", "transactions", str(path))
    assert run.code == 2 and "missing columns" in run.stderr
