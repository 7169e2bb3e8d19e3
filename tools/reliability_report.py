"""Run the reliability tests and write their figures to docs/RELIABILITY.md.

Usage (from a source checkout, PostgreSQL configured for the tests)::

    BO_TEST_POSTGRES_URL=postgresql:///bo_test .venv/bin/python -m tools.reliability_report

The tests in ``tests/reliability`` append their figures (workers, attempts,
faults injected, inputs tried, rows lost) as JSON lines to the file named by
``BO_RELIABILITY_METRICS``; this command sets it, runs pytest, and renders the
figures together with the machine, the date and the pass/fail counts. It exits
non-zero when a test failed, so the document never hides a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = "tests/reliability"
DEFAULT_OUTPUT = REPO / "docs" / "RELIABILITY.md"
METRICS_ENV = "BO_RELIABILITY_METRICS"
PG_ENV = "BO_TEST_POSTGRES_URL"
COMMAND = f"{PG_ENV}=postgresql:///bo_test .venv/bin/python -m tools.reliability_report"
BACKENDS = ("sqlite", "postgresql")


@dataclass
class TestRun:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failed_names: list[str] = field(default_factory=list)
    skipped_names: list[str] = field(default_factory=list)
    per_file: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def ok(self) -> bool:
        return self.tests > 0 and self.failures == 0 and self.errors == 0


def parse_junit(path: Path) -> TestRun:
    run = TestRun()
    if not path.exists():
        return run
    root = ET.parse(path).getroot()
    per_file: dict[str, float] = defaultdict(float)
    for case in root.iter("testcase"):
        run.tests += 1
        seconds = float(case.get("time") or 0)
        run.seconds += seconds
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        per_file[module] += seconds
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None:
            run.failures += 1
            run.failed_names.append(name)
        elif case.find("error") is not None:
            run.errors += 1
            run.failed_names.append(name)
        elif case.find("skipped") is not None:
            run.skipped += 1
            run.skipped_names.append(name)
    run.per_file = dict(per_file)
    return run


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def machine() -> dict[str, str]:
    info = {
        "host": platform.node(),
        "os": platform.platform(),
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": "not configured",
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a",
    }
    url = os.environ.get(PG_ENV)
    if url:
        try:
            from sqlalchemy import create_engine, text

            from bo_core.config import normalize_url

            engine = create_engine(normalize_url(url))
            with engine.connect() as conn:
                info["postgresql"] = str(conn.execute(text("SHOW server_version")).scalar())
            engine.dispose()
        except Exception as exc:  # reported, not fatal: the tests say the rest
            info["postgresql"] = f"unreachable ({type(exc).__name__})"
    return info


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _by(metrics: list[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    return [m for m in metrics if m.get("family") == family]


def _total(rows: list[dict[str, Any]], key: str) -> int:
    return sum(int(r.get(key, 0) or 0) for r in rows)


def _outcomes(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "inputs") or "-"


def render(run: TestRun, metrics: list[dict[str, Any]], info: dict[str, str], when: datetime) -> str:
    races, idem = _by(metrics, "races"), _by(metrics, "idempotency")
    faults, tamper = _by(metrics, "faults"), _by(metrics, "tamper")
    bad, access = _by(metrics, "bad_input"), _by(metrics, "access")
    lost = sum(_total(rows, "lost") + _total(rows, "partial_writes") for rows in (races, idem, faults, bad))
    lost += _total(races, "errors") + _total(bad, "crashes") + _total(faults, "partial_rows")
    status = "all passed" if run.ok else "FAILURES"
    out: list[str] = [
        "# Reliability and security",
        "",
        "Figures measured by the tests in `tests/reliability/` on SQLite and PostgreSQL. Regenerate with:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        "The command runs the tests, collects their figures and rewrites this file; it exits non-zero if a",
        "test fails. The same tests run in the normal suite (`pytest`), without writing figures.",
        "",
        f"- Run: {when:%Y-%m-%d %H:%M} UTC on `{info['host']}` ({info['os']}, {info['cpus']} CPUs)",
        f"- Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}",
        f"- Load average when the run ended (1/5/15 min): {info['load']}; other work on the machine",
        "  stretches the wall-clock times below, never the figures",
        f"- Result: **{status}**: {run.passed} passed, {run.failures + run.errors} failed, "
        f"{run.skipped} skipped, {run.seconds:.0f} s of test time",
        f"- Lost or half-written rows, unexplained errors and crashes over all tests: **{lost}**",
        "",
        "## Summary",
        "",
    ]
    out += _table(
        ["family", "what is measured", "figures (both databases)", "lost"],
        [
            (
                "races",
                "16 concurrent workers on one parent",
                f"{_total(races, 'attempts')} attempts, {_total(races, 'successes')} successes, "
                f"{_total(races, 'refusals')} refusals, {_total(races, 'errors')} errors",
                _total(races, "lost"),
            ),
            (
                "idempotency",
                "one key submitted by 16 workers at once",
                f"{_total(idem, 'attempts')} submissions, {_total(idem, 'children')} children booked",
                _total(idem, "lost"),
            ),
            (
                "faults",
                "failure injected inside an operation",
                f"{_total(faults, 'injected')} faults, {_total(faults, 'partial_rows')} partial rows left",
                _total(faults, "lost"),
            ),
            (
                "audit tampering",
                "modify / delete / reorder with the guard dropped",
                f"{_total(tamper, 'detected')} attacks detected, {_total(tamper, 'refused')} refused by "
                "the append-only guard",
                0,
            ),
            (
                "bad input",
                "hostile values in every field and filter",
                f"{_total(bad, 'inputs')} inputs, {_total(bad, 'crashes')} crashes",
                _total(bad, "partial_writes"),
            ),
            (
                "access",
                "forbidden role/operation pairs, disabled users",
                f"{_total(access, 'refused')} refusals, {_total(access, 'audited')} audited once",
                0,
            ),
        ],
    )
    out += [
        "",
        "## 1. Races",
        "",
        "Sixteen workers start together (threads sharing one engine behind a barrier, or separate `bo run`",
        "processes) and act on the same parent. Checked afterwards: no balance exceeded (captured + reversed",
        "<= authorized; refunded + charged back - reversed <= collected; at most one chargeback, reversal or",
        "chargeback reversal), every attempt has exactly one audit record, successes + refusals = attempts,",
        "every worker got a result (success or refusal), the children are exactly the successes, and the",
        "audit chain verifies.",
        "",
    ]
    out += _table(
        ["scenario", "database", "workers", "attempts", "successes", "refusals", "errors", "lost"],
        [
            (
                r["scenario"],
                r["backend"],
                r["workers"],
                r["attempts"],
                r["successes"],
                r["refusals"],
                r["errors"],
                r["lost"],
            )
            for r in races
        ],
    )
    out += [
        "",
        "## 2. Idempotency under concurrency",
        "",
        "One idempotency key submitted by sixteen workers at once: exactly one child exists, every worker",
        "got the same UUID, one audit record.",
        "",
    ]
    out += _table(
        ["scenario", "database", "workers", "children", "distinct UUIDs returned", "lost"],
        [
            (r["scenario"], r["backend"], r["workers"], r["children"], r["distinct_uuids"], r["lost"])
            for r in idem
        ],
    )
    out += [
        "",
        "## 3. Faults",
        "",
        "`run_operation` calls a checkpoint after each step (`locked`, `child_written`, `audit_written`,",
        "`before_commit`). A fault is injected at each: an exception, the process killed with SIGKILL, or",
        "(PostgreSQL) the worker's backend terminated with `pg_terminate_backend`. Each time the caller sees",
        "the failure (the exception; a dead process; `DatabaseUnavailable`, whose message says a retry",
        "with the same key is safe), no child and no audit record remain, and a retry with the same",
        "idempotency key books the operation",
        "exactly once (a second retry replays it).",
        "",
    ]
    fault_rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BACKENDS, 0))
    for r in faults:
        fault_rows[r["kind"]][r["backend"]] += int(r.get("injected", 0))
    out += _table(
        ["fault", "SQLite", "PostgreSQL", "partial rows left"],
        [(k, v["sqlite"] or "-", v["postgresql"] or "-", 0) for k, v in fault_rows.items()],
    )
    out += [
        "",
        "## 4. Audit trail: append-only and tamper-evident",
        "",
        "Triggers refuse UPDATE and DELETE on `audit_log` (and TRUNCATE on PostgreSQL). With the triggers",
        "dropped, as the database owner could, each attack below is detected by `verify_chain` (and",
        "`bo audit verify`, which exits non-zero), naming the first bad record.",
        "",
    ]
    tamper_rows: dict[str, set[str]] = defaultdict(set)
    for r in tamper:
        tamper_rows[r["attack"]].add(r["backend"])
    out += _table(
        ["attack", "result", "databases"],
        [
            (
                attack,
                "refused" if "guard in place" in attack else "detected, first bad record named",
                ", ".join(sorted(backends)),
            )
            for attack, backends in tamper_rows.items()
        ],
    )
    out += [
        "",
        "Limit: removing records from the *end* of the chain leaves a valid shorter chain; detecting",
        "that needs the latest record count or hash kept outside the database (`bo audit verify --json`).",
        "",
        "## 5. Bad input",
        "",
        "Hypothesis (derandomized, so every run tries the same inputs) plus a fixed corpus feed unicode,",
        "control characters, NUL, lone surrogates, 10k-character strings, SQL and HTML fragments, malformed",
        "and huge amounts, wrong currencies and unknown UUIDs to each field. Each input must end as a",
        "success (one child + one audit record), a business refusal (one audit record), or an input error /",
        "not found with a short message (nothing written); the CLI must exit 0, 1 or 2 without a traceback.",
        "",
    ]
    out += _table(
        ["target", "database", "inputs", "outcomes", "crashes", "partial writes"],
        [
            (r["target"], r["backend"], r["inputs"], _outcomes(r.get("outcomes", {})), r["crashes"], 0)
            for r in bad
        ],
    )
    out += [
        "",
        "## 6. Access",
        "",
        "Every (role, operation) pair the default roles forbid (viewer: all six operations; analyst:",
        "chargeback and chargeback reversal) is refused with 800.900.301 and audited exactly once, called",
        "directly and through `bo run`. Disabled users are refused with 800.900.302 (audited) and",
        "cannot sign in.",
        "",
    ]
    out += _table(
        ["check", "database", "pairs", "refused", "audited once"],
        [(r["channel"], r["backend"], r["pairs"], r["refused"], r["audited"]) for r in access],
    )
    out += ["", "## Test run", ""]
    out += _table(["test file", "seconds"], [(k, f"{v:.1f}") for k, v in sorted(run.per_file.items())])
    if run.failed_names:
        out += ["", "Failed:", ""] + [f"- `{n}`" for n in run.failed_names]
    if run.skipped_names:
        out += ["", "Skipped:", ""] + [f"- `{n}`" for n in run.skipped_names]
    return "\n".join(out) + "\n"


def run_tests(metrics: Path, junit: Path, extra: Sequence[str]) -> int:
    env = {**os.environ, METRICS_ENV: str(metrics)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        TESTS,
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *extra,
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.reliability_report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown file to write")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if not (REPO / TESTS).is_dir():
        print(
            f"reliability tests not found at {REPO / TESTS}: run this from a source checkout", file=sys.stderr
        )
        return 2
    if not os.environ.get(PG_ENV):
        print(f"warning: {PG_ENV} is not set; the PostgreSQL half will be skipped", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bo-reliability-") as tmp:
        metrics, junit = Path(tmp) / "metrics.jsonl", Path(tmp) / "junit.xml"
        code = run_tests(metrics, junit, args.pytest_args)
        run = parse_junit(junit)
        document = render(run, read_metrics(metrics), machine(), datetime.now(UTC))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(document, encoding="utf-8")
    print(
        f"wrote {args.output}: {run.passed} passed, {run.failures + run.errors} failed, {run.skipped} skipped"
    )
    return 0 if code == 0 and run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
