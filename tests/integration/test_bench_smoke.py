"""The benchmark harness still runs end to end on both backends (small data; no timing is checked)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import cli, report

pytestmark = pytest.mark.slow  # builds benchmark databases and runs the harness

ROWS = 2000
WORKLOAD_TITLES = [
    "Exact UUID",
    "Exact Transaction ID",
    "Last 4 digits + 30 days",
    "Merchant + status + 7 days",
    "Amount range + currency",
    "Customer e-mail prefix",
    "Transaction ID, other case",
    "Transaction ID prefix",
    "UUID prefix (8 characters)",
    "Surname alone",
    "E-mail domain (@domain)",
    "First page of everything (by date)",
    "Page 200, keyset (cursor)",
    "Page 200, OFFSET",
    "Total count, 30-day filter (capped at 100,000)",
    "Scoped to one merchant: first page",
    "Scoped to one merchant: status + 7 days",
    "Scoped to half the merchants: first page",
    "Scoped to half the merchants: status + 7 days",
    "Details: chain, balances and history",
    "CSV export (~100,000 rows)",
]
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def _table_row(doc: str, title: str) -> list[str]:
    for line in doc.splitlines():
        if line.startswith(f"| {title} |"):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no table row for {title!r}")


def _run(db_url: str, out: Path) -> str:
    argv = ["--rows", str(ROWS), "--database-url", db_url, "--repeat", "2", "--naive-repeat", "1"]
    argv += ["--ops", "20", "--workers", "2", "--page-repeat", "1", "--memory-runs", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    return out.read_text()


def test_harness_writes_every_workload_row_into_its_own_section_and_keeps_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "PERFORMANCE.md"
    out.write_text("# Performance\n\nNotes kept by hand.\n")
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    doc = _run(db_url, out)

    start, end = f"<!-- bench:{backend}:start -->", f"<!-- bench:{backend}:end -->"
    section = doc[doc.index(start) : doc.index(end)]
    assert f"## {report.TITLES[backend]}" in section
    assert f"Data: {ROWS:,} generated transactions" in section
    for title in WORKLOAD_TITLES:
        cells = _table_row(section, title)
        assert re.fullmatch(NUMBER, cells[2]) and re.fullmatch(NUMBER, cells[4]), (title, cells)
        assert cells[8] in {"yes", "—"}, (title, cells)  # the service returned the floor's rows
    assert re.fullmatch(NUMBER, _table_row(section, "Operations, sequential")[3])
    if backend == "postgresql":
        assert re.fullmatch(NUMBER, _table_row(section, "Operations, 2 concurrent workers")[3])
    assert re.fullmatch(NUMBER, _table_row(section, "Transactions")[4])
    assert re.fullmatch(NUMBER, _table_row(section, "Details (?uuid=)")[4])
    assert _table_row(section, f"{ROWS:,}")  # app memory of a search session
    assert "**Missing**" not in section
    assert section.count("<details><summary>") == len(WORKLOAD_TITLES)

    assert doc.startswith("# Performance\n\nNotes kept by hand.\n")
    assert doc.count(start) == 1
    other = "postgresql" if backend == "sqlite" else "sqlite"
    assert f"<!-- bench:{other}:start -->\n## {report.TITLES[other]}\n\nNot measured yet." in doc
