"""Running operations: sequential throughput, and concurrent workers on PostgreSQL."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import text

from bench.stats import Timing
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import NotFound
from bo_core.domain.money import minor_to_str
from bo_core.services import scopes, users
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation

OPERATOR = "bench-operator"
PASSWORD = "bench-operator-password-0001"


@dataclass(frozen=True)
class OpsResult:
    label: str
    workers: int
    operations: int
    succeeded: int
    seconds: float
    latency: Timing

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


def ensure_operator(ctx: Context) -> str:
    try:
        users.get_user(ctx, OPERATOR, actor=SYSTEM)
    except NotFound:
        users.create_user(ctx, OPERATOR, "analyst", PASSWORD, name="Bench Operator", actor=SYSTEM)
    scopes.assign(ctx, OPERATOR, "*", actor=SYSTEM)  # a new user sees nothing until assigned
    return OPERATOR


def refundable_parents(ctx: Context, count: int) -> list[tuple[str, str]]:
    """Successful gateway debits with no children yet (each run takes fresh ones)."""
    sql = text(
        "SELECT t.uuid, t.currency FROM transactions t WHERE t.type = 'DB' AND t.status = 'success' "
        "AND t.source = 'gateway' AND t.amount_minor > 1 "
        "AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.parent_uuid = t.uuid) "
        "ORDER BY t.id DESC LIMIT :n"
    )
    with ctx.db.engine.connect() as conn:
        return [(r.uuid, r.currency) for r in conn.execute(sql, {"n": count})]


def _refund(ctx: Context, parent: tuple[str, str]) -> bool:
    uuid, currency = parent
    request = OperationRequest(
        operation="refund",
        parent_uuid=uuid,
        username=OPERATOR,
        amount=minor_to_str(1, currency),
        reason="requested_by_customer",
    )
    return run_operation(ctx, request).ok


def run_operations(ctx: Context, count: int, workers: int = 1) -> OpsResult:
    """Refund one minor unit of ``count`` distinct debits with ``workers`` threads."""
    ensure_operator(ctx)
    parents = refundable_parents(ctx, count)
    shares = [parents[i::workers] for i in range(workers)]
    latencies: list[float] = []
    ok = [0]
    lock = threading.Lock()

    def work(share: list[tuple[str, str]]) -> None:
        mine: list[float] = []
        good = 0
        for parent in share:
            t0 = time.perf_counter()
            good += _refund(ctx, parent)
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)
            ok[0] += good

    start = time.perf_counter()
    if workers == 1:
        work(parents)
    else:
        threads = [threading.Thread(target=work, args=(share,)) for share in shares]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    seconds = time.perf_counter() - start
    label = "Operations, sequential" if workers == 1 else f"Operations, {workers} concurrent workers"
    return OpsResult(label, workers, len(parents), ok[0], seconds, Timing(tuple(latencies)))
