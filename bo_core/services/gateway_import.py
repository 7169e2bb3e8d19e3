"""``bo gateway import``: every transaction of every configured entity in a window.

Pages are followed as the gateway reports them (``pages``); each page is
stored in one database transaction through the shared ingest function, so a
re-run adds nothing and only moves pending records on. Children whose parent
lies outside the window are completed by asking for the parent by id.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.gateway.client import GatewayClient
from bo_core.services import gateway_ingest as gi
from bo_core.services.access import require_system
from bo_core.services.context import Context
from bo_core.services.gateway_records import UnstorablePayload

IMPORTER = "import"
PAGE_LIMIT = 100


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    entities: int = 0
    pages: int = 0
    records: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        c = self.counts
        return {
            "added": c[gi.ADDED],
            "updated": c[gi.UPDATED],
            "unchanged": c[gi.UNCHANGED],
            "skipped": c[gi.SKIPPED],
            "entities": self.entities,
            "pages": self.pages,
            "records": self.records,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.records / self.seconds, 1) if self.seconds else None,
            "problems": self.problems[:50],
        }


def gateway_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def import_window(
    ctx: Context,
    date_from: datetime,
    date_to: datetime,
    *,
    actor: Actor,
    progress: Callable[[str], None] | None = None,
    limit: int = PAGE_LIMIT,
) -> ImportReport:
    """Import [date_from, date_to) from every entity; ``date_to`` is exclusive (second precision).

    A command-line (cron) task: only ``SYSTEM`` runs it; changes are audited as ``import``.
    """
    require_system(actor, "import from the gateway")
    gw = ctx.settings.gateway
    if not gw.is_opp:
        raise InputError("BO_GATEWAY", "importing from the gateway needs BO_GATEWAY=opp")
    if date_to <= date_from:
        raise InputError("--to", "must be after --from")
    started = time.perf_counter()
    report = ImportReport()
    last = date_to - timedelta(seconds=1)  # the query's ends are inclusive
    with GatewayClient(gw) as client:
        for entity in gw.all_entities():
            report.entities += 1
            page, pages = 1, 1
            while page <= pages:
                records, pages = client.window(
                    entity, gateway_time(date_from), gateway_time(last), page, limit
                )
                report.pages += 1
                _store(ctx, records, report, client, entity)
                if progress is not None:
                    progress(f"entity {entity}: page {page}/{max(pages, 1)}, {report.records} records")
                page += 1
    report.seconds = time.perf_counter() - started
    return report


def _store(
    ctx: Context, records: list[dict[str, Any]], report: ImportReport, client: GatewayClient, entity: str
) -> None:
    kept: list[str] = []
    with ctx.db.uow(write=True) as uow:
        for record in sorted(records, key=lambda r: str(r.get("timestamp", ""))):
            report.records += 1
            try:
                result = gi.ingest_in(uow.session, ctx, record, IMPORTER)
            except UnstorablePayload as exc:
                report.counts[gi.SKIPPED] += 1
                report.problems.append(f"{str(record.get('id'))[:32]}: {exc.message}")
                continue
            if result.outcome == gi.KEPT:
                kept.append(str(record.get("referencedId", "")).lower())
                report.counts[gi.SKIPPED] += 1
            else:
                report.counts[result.outcome] += 1
            report.counts[gi.ADDED] += result.drained
        uow.commit()
    for parent_id in dict.fromkeys(kept):
        # The parent is older than the window: fetch it, which also stores the waiting child.
        parent = client.by_id(entity, parent_id)
        if parent is None:
            continue
        try:
            result = gi.ingest(ctx, parent, IMPORTER)
        except UnstorablePayload:
            continue
        if result.drained:
            report.counts[gi.SKIPPED] -= result.drained
            report.counts[gi.ADDED] += result.drained
