"""Workload parameters picked from the data itself, the same way on every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bo_core.domain.money import exponent, minor_to_str
from bo_core.services.context import Context

PAGE_SIZE = 50
DEEP_PAGE = 200
EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class Params:
    """Everything a workload filters on; datetimes are aware UTC."""

    latest: datetime
    uuid: str
    transaction_id: str
    last4: str
    last4_from: datetime
    last4_to: datetime
    merchant: str
    status: str
    week_from: datetime
    currency: str
    min_amount: str  # major units
    max_amount: str
    min_minor: int
    max_minor: int
    email_prefix: str
    month_from: datetime
    deep_offset: int
    deep_cursor_at: datetime
    deep_cursor_id: int
    details_uuid: str
    export_from: datetime

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        kinds = cls.__annotations__
        values: dict[str, Any] = {
            k: (datetime.fromisoformat(v) if kinds[k] == "datetime" else v) for k, v in data.items()
        }
        return cls(**values)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pick(ctx: Context) -> Params:
    with ctx.db.engine.connect() as conn:
        one = conn.execute
        latest = _aware(one(text("SELECT max(created_at) FROM transactions")).scalar_one())
        max_id = int(one(text("SELECT max(id) FROM transactions")).scalar_one())
        probe = one(
            text(
                "SELECT uuid, transaction_id, last4, merchant, currency, customer_email, created_at "
                "FROM transactions WHERE id >= :mid AND last4 IS NOT NULL AND customer_email IS NOT NULL "
                "AND source = 'gateway' ORDER BY id LIMIT 1"
            ),
            {"mid": max_id // 2},
        ).one()
        details = one(
            text(
                "SELECT parent_uuid FROM transactions WHERE id >= :mid AND parent_uuid IS NOT NULL "
                "ORDER BY id LIMIT 1"
            ),
            {"mid": max_id // 2},
        ).scalar_one()
        deep_offset = (DEEP_PAGE - 1) * PAGE_SIZE
        total = int(one(text("SELECT count(*) FROM transactions")).scalar_one())
        cursor_row = one(
            text(
                "SELECT created_at, id FROM transactions ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :o"
            ),
            {"o": min(deep_offset, total) - 1},
        ).one()
        export_at = one(
            text("SELECT created_at FROM transactions ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :o"),
            {"o": min(EXPORT_ROWS, total) - 1},
        ).scalar_one()
    created = _aware(probe.created_at)
    local = probe.customer_email.split("@", 1)[0]
    return Params(
        latest=latest,
        uuid=probe.uuid,
        transaction_id=probe.transaction_id,
        last4=probe.last4,
        last4_from=created - timedelta(days=29),
        last4_to=created + timedelta(days=1),
        merchant=probe.merchant,
        status="success",
        week_from=latest - timedelta(days=7),
        currency=probe.currency,
        min_amount=minor_to_str(10 * 10 ** exponent(probe.currency), probe.currency),
        max_amount=minor_to_str(20 * 10 ** exponent(probe.currency), probe.currency),
        min_minor=10 * 10 ** exponent(probe.currency),
        max_minor=20 * 10 ** exponent(probe.currency),
        email_prefix=local[: max(3, min(6, len(local)))].lower(),
        month_from=latest - timedelta(days=30),
        deep_offset=deep_offset,
        deep_cursor_at=_aware(cursor_row.created_at),
        deep_cursor_id=int(cursor_row.id),
        details_uuid=details,
        export_from=_aware(export_at),
    )
