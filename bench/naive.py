"""The naive reference, run in its own process: read the whole table into pandas, filter there.

``python -m bench.naive URL PARAMS_JSON REPEAT`` prints JSON: per repetition the
time to read the table and, per workload, read time plus filter time; and the
process's peak RSS.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import create_engine

from bench.params import PAGE_SIZE, Params
from bench.stats import peak_rss_mb, rss_mb
from bo_core.config import normalize_url

Frame = Any  # pandas has no type stubs here
ORDER = ["created_at", "id"]
EXPORT_FILE = Path(__file__).resolve().parent / "out" / "export-naive.csv"


def _page(df: Frame, offset: int = 0) -> Frame:
    return df.sort_values(ORDER, ascending=False).iloc[offset : offset + PAGE_SIZE]


def _since(df: Frame, moment: pd.Timestamp) -> pd.Series:
    return df["created_at"] >= moment


def _text(df: Frame, q: str) -> pd.Series:
    compact = q.replace("-", "")
    if len(compact) == 32 and all(c in "0123456789abcdefABCDEF" for c in compact):
        return (df["uuid"] == compact.lower()) | (df["transaction_id"] == q)
    if len(q) == 4 and q.isdigit():
        return (df["last4"] == q) | (df["transaction_id"] == q)
    low = q.lower()
    email = df["customer_email"].str.startswith(low, na=False)
    if "@" in q:
        return email
    return (df["transaction_id"] == q) | email | df["holder_lc"].str.startswith(low, na=False)


def filters(p: Params) -> dict[str, Callable[[Frame], object]]:
    def ts(moment: Any) -> Any:  # stored as naive UTC
        return pd.Timestamp(moment.replace(tzinfo=None))

    return {
        "uuid": lambda df: _page(df[_text(df, p.uuid)]),
        "transaction_id": lambda df: _page(df[_text(df, p.transaction_id)]),
        "last4_30d": lambda df: _page(
            df[_text(df, p.last4) & _since(df, ts(p.last4_from)) & (df["created_at"] < ts(p.last4_to))]
        ),
        "merchant_status_7d": lambda df: _page(
            df[(df["merchant"] == p.merchant) & (df["status"] == p.status) & _since(df, ts(p.week_from))]
        ),
        "amount_currency": lambda df: _page(
            df[
                (df["currency"] == p.currency)
                & (df["amount_minor"] >= p.min_minor)
                & (df["amount_minor"] <= p.max_minor)
            ]
        ),
        "email_prefix": lambda df: _page(df[_text(df, p.email_prefix)]),
        "first_page": lambda df: _page(df),
        "deep_keyset": lambda df: _page(df, p.deep_offset),
        "deep_offset": lambda df: _page(df, p.deep_offset),
        "count_30d": lambda df: int(_since(df, ts(p.month_from)).sum()),
        "export_100k": lambda df: (
            df[_since(df, ts(p.export_from))]
            .sort_values(ORDER, ascending=False)
            .to_csv(EXPORT_FILE, index=False)
        ),
    }


def main(argv: list[str]) -> int:
    url, params_json, repeat = argv[0], argv[1], int(argv[2])
    p = Params.from_json(json.loads(params_json))
    engine = create_engine(normalize_url(url))
    work = filters(p)
    base = rss_mb()
    reads: list[float] = []
    totals: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(repeat):
        start = time.perf_counter()
        df = pd.read_sql("SELECT * FROM transactions", engine, parse_dates=["created_at"])
        read_ms = (time.perf_counter() - start) * 1000
        reads.append(read_ms)
        for name, run in work.items():
            t0 = time.perf_counter()
            run(df)
            totals[name].append(read_ms + (time.perf_counter() - t0) * 1000)
        del df
    engine.dispose()
    json.dump(
        {"read_ms": reads, "totals_ms": totals, "base_rss_mb": base, "peak_rss_mb": peak_rss_mb()}, sys.stdout
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
