"""CSV export shared by the transaction search and the operation history."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Text for one CSV cell; a text starting like a spreadsheet formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    out = str(value)
    if isinstance(value, str) and out.startswith(_FORMULA_START):
        return "'" + out
    return out


def write_csv(
    out: TextIO,
    header: Sequence[str],
    batches: Iterable[Sequence[object]],
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write ``header`` then every row of every batch (objects with those attributes); return the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    written = 0
    for rows in batches:
        # getattr, not dataclasses.astuple: astuple deep-copies every value of every row.
        writer.writerows([csv_cell(getattr(r, name)) for name in header] for r in rows)
        written += len(rows)
        if progress is not None:
            progress(written)
    return written
