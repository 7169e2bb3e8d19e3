"""docs/PERFORMANCE.md: one section per backend, replaced in place by each run."""

from __future__ import annotations

import re
from pathlib import Path

from bench.runner import BackendReport, WorkloadResult
from bench.stats import Timing

SEARCH_FACTOR = 1.5
SEARCH_SLACK_MS = 2.0
NAIVE_FACTOR = 100
OPS_TARGET = 300.0
TRANSACTIONS_PAGE_MS = 250.0
DETAILS_PAGE_MS = 150.0
MEMORY_GROWTH_MB = 50.0
BUSY_LOAD = 1.5
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

HEADER = """# Performance

Figures measured by the benchmark harness in `bench/`, which writes the
sections below (one per backend; a new run replaces its own section).

Run it with:

```
.venv/bin/python -m bench --rows 1000000                     # SQLite file under bench/out/
.venv/bin/python -m bench --rows 1000000 --database-url postgresql:///bo_bench
```

`--repeat N` sets the measured runs per workload (after one unmeasured warm-up
run), `--rebuild` regenerates the data, `--out` names the report file. The
database is built with the demo generator (seed 42) and reused while it holds
the requested number of generated rows.

How each figure is taken:

- **Service**: the `bo_core` service call a page makes (`search_page`,
  `count_matches`, `show_transaction` + `transaction_history`, `export_csv`,
  `run_operation`), wall-clock time in the harness process, `actor=SYSTEM`.
- **Floor**: the same query written by hand, run on the raw driver
  (`sqlite3` / `psycopg`) over the same connection settings; it returns the same
  rows (checked: the *Same rows* column).
- **Naive**: a separate process reads the whole `transactions` table with
  `pandas.read_sql` and filters, sorts and pages it in pandas; each figure is the
  read plus that workload's filtering, measured fewer times (it is slow). Its
  peak RSS is reported.
- **Targets**: each search p95 ≤ max(1.5 × floor p95, floor p95 + 2 ms) and the
  naive median ≥ 100 × the search p95; operations ≥ 300/s sequential on SQLite;
  a Transactions page run < 250 ms and a Details page run < 150 ms (p95 with
  `st.cache_data` cleared before every run, i.e. as after a new search); app RSS
  at 1,000,000 rows within 50 MB of the same session at 10,000 rows.
- Percentiles are nearest-rank over the measured runs.
"""


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def _ratio(value: float) -> str:
    return f"{value:,.0f}×" if value >= 10 else f"{value:.2f}×"


def search_pass(w: WorkloadResult) -> tuple[bool, str]:
    limit = max(SEARCH_FACTOR * w.floor.p95, w.floor.p95 + SEARCH_SLACK_MS)
    ok = w.service.p95 <= limit and w.same_rows
    reasons = [] if w.service.p95 <= limit else [f"p95 > {limit:.2f} ms"]
    if not w.same_rows:
        reasons.append("rows differ from the floor")
    if w.naive is not None:
        speedup = w.naive.p50 / w.service.p95
        if speedup < NAIVE_FACTOR:
            ok = False
            reasons.append(f"only {speedup:.0f}× faster than naive")
    return ok, "pass" if ok else "**FAIL** (" + "; ".join(reasons) + ")"


def _workload_table(r: BackendReport) -> list[str]:
    lines = [
        "| Workload | Result | Service p50 ms | Service p95 ms | Floor p95 ms | Naive p50 ms "
        "| Service/floor (p95) | Faster than naive | Same rows | Target |",
        "|---|---|--:|--:|--:|--:|--:|--:|:-:|---|",
    ]
    for w in r.workloads:
        naive = w.naive.p50 if w.naive else None
        faster = _ratio(naive / w.service.p95) if naive else "—"
        verdict = search_pass(w)[1] if w.kind == "search" else "reported"
        same = "yes" if w.same_rows else ("no" if w.kind == "search" or w.name.startswith("export") else "—")
        lines.append(
            f"| {w.title} | {w.result} | {_ms(w.service.p50)} | {_ms(w.service.p95)} | {_ms(w.floor.p95)} "
            f"| {_ms(naive)} | {_ratio(w.service.p95 / w.floor.p95)} | {faster} | {same} | {verdict} |"
        )
    return lines


def _ops_table(r: BackendReport) -> list[str]:
    lines = [
        "| Run | Operations | Succeeded | Ops/s | Latency p50 ms | Latency p95 ms | Target |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for o in r.ops:
        if o.workers == 1 and r.backend == "sqlite":
            verdict = "pass" if o.per_second >= OPS_TARGET else f"**FAIL** (< {OPS_TARGET:.0f}/s)"
        else:
            verdict = "reported"
        lines.append(
            f"| {o.label} | {o.operations:,} | {o.succeeded:,} | {o.per_second:,.0f} "
            f"| {_ms(o.latency.p50)} | {_ms(o.latency.p95)} | {verdict} |"
        )
    return lines


def _page_row(title: str, warm: Timing, cold: Timing, target: float) -> str:
    verdict = "pass" if cold.p95 < target else f"**FAIL** (≥ {target:.0f} ms)"
    return (
        f"| {title} | {_ms(warm.p50)} | {_ms(warm.p95)} | {_ms(cold.p50)} | {_ms(cold.p95)} "
        f"| < {target:.0f} ms | {verdict} |"
    )


def _pages_section(r: BackendReport) -> list[str]:
    lines = ["### Pages (server side, `AppTest.run()`)", ""]
    if r.options.skip_pages:
        return [*lines, "Not measured in this run (`--skip-pages`).", ""]
    if r.pages is None:
        return [*lines, f"**Missing**: the page run failed: `{r.pages_problem}`.", ""]
    p = r.pages
    lines += [
        f"{r.options.page_repeat} runs each, in one app process; the first run of the process "
        f"(imports, opening the database) took {_ms(p['first_run_ms'])} ms and is not counted. "
        f"Transactions page showed {p['transactions_rows_shown']} rows (default filter: last 30 days); "
        f"Details page: “{p['details_title']}”.",
        "",
        "| Page | Rerun p50 ms | Rerun p95 ms | Caches cleared p50 ms | Caches cleared p95 ms | Target | |",
        "|---|--:|--:|--:|--:|---|---|",
        _page_row(
            "Transactions",
            Timing(tuple(p["transactions_warm_ms"])),
            Timing(tuple(p["transactions_cold_ms"])),
            TRANSACTIONS_PAGE_MS,
        ),
        _page_row(
            "Details (?uuid=)",
            Timing(tuple(p["details_warm_ms"])),
            Timing(tuple(p["details_cold_ms"])),
            DETAILS_PAGE_MS,
        ),
        "",
    ]
    return lines


def _memory_section(r: BackendReport) -> list[str]:
    lines = ["### App memory during a search session", ""]
    if r.options.skip_pages:
        return [*lines, "Not measured in this run (`--skip-pages`).", ""]
    if r.memory_problem:
        lines += [f"**Missing**: `{r.memory_problem}`.", ""]
    if not r.memory:
        return lines
    lines += [
        f"A fresh process runs the Transactions page {r.options.memory_runs} times with changing period, "
        "search text and the next page; RSS from `/proc/self/status`, peak from `getrusage`.",
        "",
        "| Rows | RSS after imports MB | After first run MB | Peak MB | Peak growth vs smallest | Target |",
        "|--:|--:|--:|--:|--:|---|",
    ]
    smallest = min(r.memory)
    for rows, m in sorted(r.memory.items()):
        growth = m["peak_rss_mb"] - r.memory[smallest]["peak_rss_mb"]
        verdict = "—" if rows == smallest else ("pass" if growth <= MEMORY_GROWTH_MB else "**FAIL**")
        lines.append(
            f"| {rows:,} | {m['base_rss_mb']:.0f} | {m['after_first_run_mb']:.0f} | {m['peak_rss_mb']:.0f} "
            f"| {growth:+.0f} MB | {verdict} |"
        )
    return [*lines, ""]


def _plans(r: BackendReport) -> list[str]:
    kind = "EXPLAIN QUERY PLAN" if r.backend == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS)"
    lines = [f"### Query plans ({kind} of the statements each service call sent)", ""]
    for w in r.workloads:
        lines += [
            f"<details><summary>{w.title}</summary>",
            "",
            "```",
            w.plan or "(no statement)",
            "```",
            "",
            "</details>",
            "",
        ]
    return lines


def render(r: BackendReport) -> str:
    o = r.options
    load = r.machine.load_before[0]
    busy = max(load, r.load_after[0]) >= BUSY_LOAD
    build = "reused" if r.build.reused else f"built in {r.build.seconds:.0f} s"
    lines = [
        f"## {TITLES[r.backend]}",
        "",
        f"- Date: {r.started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {r.machine.describe()}; at the end: " + " / ".join(f"{x:.2f}" for x in r.load_after),
        f"- Command: `{o.command}`",
        f"- Data: {o.rows:,} generated transactions ({build}); {r.total_rows:,} rows in the table including "
        "the refunds written by earlier operation runs",
        f"- Runs: {o.repeat} per workload (export: at most 5), naive: {o.naive_repeat}",
    ]
    if busy:
        lines.append(
            "- **The machine was loaded** during this run (load average ≥ 1.5 on 2 cores: other work "
            "was running); figures are pessimistic."
        )
    lines += ["", "### Searches and reads", "", *_workload_table(r), ""]
    if r.naive_read is not None:
        lines += [
            f"Naive reference: reading the whole table into pandas took {_ms(r.naive_read.p50)} ms (median "
            f"of {r.naive_read.runs}); the naive process peaked at {r.naive_peak_rss_mb:,.0f} MB RSS "
            f"({r.naive_base_rss_mb:,.0f} MB before reading).",
            "",
        ]
    lines += ["### Operations (refund of one minor unit, each on a different debit)", "", *_ops_table(r), ""]
    lines += _pages_section(r)
    lines += _memory_section(r)
    lines += _plans(r)
    return "\n".join(lines).rstrip() + "\n"


def _markers(backend: str) -> tuple[str, str]:
    return f"<!-- bench:{backend}:start -->", f"<!-- bench:{backend}:end -->"


def write(path: Path, r: BackendReport) -> None:
    """Replace this backend's section of ``path`` (creating the file and the other section if new)."""
    doc = path.read_text() if path.exists() else HEADER
    for backend in TITLES:
        start, end = _markers(backend)
        if start not in doc:
            doc = doc.rstrip() + f"\n\n{start}\n## {TITLES[backend]}\n\nNot measured yet.\n{end}\n"
    start, end = _markers(r.backend)
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    doc = pattern.sub(lambda _: f"{start}\n{render(r)}{end}", doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc)
