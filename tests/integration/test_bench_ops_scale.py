"""The operations-at-scale benchmark runs end to end on both backends (small data; no timing is checked)."""

from __future__ import annotations

import json

from bench import ops_scale
from bench.database import OUT_DIR


def test_ops_scale_books_every_line_of_its_refund_file_and_times_the_ratio_query(db_url: str) -> None:
    argv = ["--rows", "2000", "--database-url", db_url, "--lines", "30", "--repeat", "1"]
    assert ops_scale.main(argv) == 0
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    result = json.loads((OUT_DIR / f"ops-scale-{backend}-2000.json").read_text())
    assert result["bulk"]["lines"] == result["bulk"]["booked"] == result["bulk"]["would_succeed"] == 30
    assert result["risk"]["one_month_ms_median"] > 0
