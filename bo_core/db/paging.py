"""Keyset paging, newest first, shared by the transaction search and the history.

A page ends at a row; the next page starts strictly after its
``(created_at, id)`` pair. The pair travels as an opaque cursor string.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, literal, tuple_

from bo_core.domain.errors import InputError

MAX_ROW_ID = 2**63 - 1
Key = tuple[datetime, int]
T = TypeVar("T")


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    try:
        padded = cursor.strip() + "=" * (-len(cursor.strip()) % 4)
        stamp, row_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        moment = datetime.fromisoformat(stamp)
        number = int(row_id)
        if moment.tzinfo is None or not 0 <= number <= MAX_ROW_ID:
            raise ValueError("not a cursor")
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError, binascii.Error, UnicodeError, AttributeError):
        raise InputError("Cursor", "is not a cursor returned by a previous page") from None


def after(created: Any, row_id: Any, key: Key) -> ColumnElement[bool]:
    """Rows after ``key`` in ``created DESC, row_id DESC`` order."""
    moment = literal(key[0], created.type)
    return tuple_(created, row_id) < tuple_(moment, literal(key[1], row_id.type))


def keyset_batches(
    conn: Connection,
    ordered: Select[Any],
    created: Any,
    row_id: Any,
    shape: Callable[[Any], T],
    batch: int,
) -> Iterator[list[T]]:
    """Every row of ``ordered`` (sorted ``created DESC, row_id DESC``) in batches of ``batch``.

    Memory stays constant: each batch is one keyset query after the last row of the previous.
    """
    base = ordered.limit(batch)
    key: Key | None = None
    while True:
        stmt = base if key is None else base.where(after(created, row_id, key))
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield [shape(r) for r in rows]
        if len(rows) < batch:
            return
        last = rows[-1]
        key = (last._mapping[created], last._mapping[row_id])
