"""CSV export shared by the transaction search and the operation history."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields, is_dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any, TextIO, TypeVar

from bo_core.domain.authorization import Actor
from bo_core.domain.masking import mask_email, mask_name
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission
from bo_core.services.access import role_of
from bo_core.services.context import Context

R = TypeVar("R")
# Personal fields of an exported row and how each is masked without the permission.
PERSONAL_FIELDS: dict[str, Callable[[str | None], str | None]] = {
    "customer_email": mask_email,
    "holder": mask_name,
    "customer_name": mask_name,
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """The JSON shape of a service's values: Money as its decimal string (``"12.50"``),
    datetimes in ISO 8601, enums as their value; dataclasses, mappings and lists recursively.

    The command line's ``--json`` contract; display formatting stays in the UI.
    """
    if isinstance(value, Money):
        return value.to_str()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def csv_cell(value: object) -> str:
    """Text for one CSV cell; a text starting like a spreadsheet formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Money):
        return value.to_str()
    if isinstance(value, Enum):
        return str(value.value)
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


def personal_data_allowed(ctx: Context, actor: Actor) -> bool:
    """Whether exports for ``actor`` may carry personal data in full (``SYSTEM``: yes)."""
    role = role_of(ctx, actor)
    return role is None or role.can(Permission.TRANSACTIONS_EXPORT_PERSONAL)


def masked(rows: Sequence[R]) -> list[R]:
    """``rows`` (dataclasses) with their personal fields masked as on screen."""
    out = []
    for row in rows:
        names = [n for n in PERSONAL_FIELDS if hasattr(row, n)]
        changes = {n: PERSONAL_FIELDS[n](getattr(row, n)) for n in names}
        out.append(replace(row, **changes) if changes else row)  # type: ignore[type-var]
    return out
