"""The sixteen-worker races, run by several replicas through PgBouncer in transaction mode.

Three replicas (three engines with their own connection pools, as three app
processes have) and sixteen separate ``bo`` processes share a PgBouncer whose
server pool is smaller than the number of clients, so consecutive transactions
of one client run on different server connections. The parent lock
(``SELECT ... FOR UPDATE``) and the audit chain's advisory lock are
transaction-scoped, so no balance is ever exceeded and the chain verifies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest

from bo_core.db.engine import PGBOUNCER_ENV
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests import cluster
from tests.conftest import make_context
from tests.factories import add_tx, add_user, reason_for
from tests.reliability._support import assert_chain_ok, cli_available, run_cli
from tests.reliability.test_races import RACES, WORKERS, Attempt, Race, check_race, money_out
from tests.rows import audit_rows, children

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REPLICAS = 3
SERVER_CONNECTIONS = 4


@pytest.fixture(scope="module")
def pooled() -> Iterator[tuple[str, cluster.Pooler]]:
    """A fresh database, migrated directly, and PgBouncer in front of it."""
    with cluster.fresh_database() as url:
        make_context(url).db.dispose()  # migrates
        with cluster.pgbouncer(url, pool_size=SERVER_CONNECTIONS) as pooler:
            yield url, pooler


@pytest.fixture
def replicas(pooled: tuple[str, cluster.Pooler], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Context]]:
    monkeypatch.setenv(PGBOUNCER_ENV, "1")
    contexts = [make_context(pooled[1].url) for _ in range(REPLICAS)]
    yield contexts
    for ctx in contexts:
        ctx.db.dispose()


def hammer_replicas(contexts: list[Context], requests: list[OperationRequest]) -> list[Attempt]:
    """All requests at once, spread over the replicas in turn, released by one barrier."""
    barrier = threading.Barrier(len(requests))

    def work(job: tuple[Context, OperationRequest]) -> Attempt:
        ctx, req = job
        barrier.wait()
        try:
            return Attempt(result=run_operation(ctx, req))
        except Exception as exc:  # every exception is a finding
            return Attempt(error=f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(work, zip(cycle(contexts), requests, strict=False)))


def test_replicas_connect_through_the_pooler_without_prepared_statements(
    replicas: list[Context], pooled: tuple[str, cluster.Pooler]
) -> None:
    with replicas[0].db.engine.connect() as conn:
        assert conn.connection.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
    for _ in range(20):  # more than psycopg's default threshold (5) on one client connection
        with replicas[0].db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM transactions").scalar_one() >= 0
    assert any(c["database"] == "bo" for c in pooled[1].show("CLIENTS"))


@pytest.mark.parametrize("race", RACES, ids=[r.name for r in RACES])
def test_sixteen_workers_on_three_replicas_through_pgbouncer_never_exceed_the_balance(
    replicas: list[Context], pooled: tuple[str, cluster.Pooler], race: Race
) -> None:
    ctx = replicas[0]
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, race.parent_type, 10_000)
    requests = [
        OperationRequest(op, parent, user, amount=amount, reason=reason_for(op))
        for op, amount in race.operations
    ]
    attempts = hammer_replicas(replicas, requests)
    successes, _ = check_race(ctx, parent, attempts)
    race.check(money_out(ctx, parent), 10_000)
    if race.expect_successes is not None:
        assert successes == race.expect_successes
    assert sum(1 for k in children(ctx, parent) if k.type in {"CB", "RV"}) <= 1
    # Sixteen clients shared at most this many server connections.
    assert 0 < len([s for s in pooled[1].show("SERVERS") if s["database"] == "bo"]) <= SERVER_CONNECTIONS


@pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")
def test_sixteen_bo_processes_through_pgbouncer_stay_within_the_debit(
    replicas: list[Context], pooled: tuple[str, cluster.Pooler]
) -> None:
    ctx = replicas[0]
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, "DB", 10_000)
    argvs = [
        ["run", op, parent, "--as", user, "--amount", amount, "--reason", "duplicate", "--json"]
        for op, amount in [("refund", "15.00"), ("chargeback", "50.00")] * (WORKERS // 2)
    ]
    barrier = threading.Barrier(len(argvs))

    def one(argv: list[str]) -> tuple[int, str, str]:
        barrier.wait()
        proc = run_cli(pooled[1].url, *argv)
        return proc.returncode, proc.stdout, proc.stderr

    with ThreadPoolExecutor(max_workers=len(argvs)) as pool:
        outcomes = list(pool.map(one, argvs))
    for code, out, err in outcomes:
        assert "Traceback" not in err and code in (0, 1), (code, err[:300])
        assert json.loads(out)["outcome"] in ("success", "refused")
    successes = sum(1 for code, _, _ in outcomes if code == 0)
    assert len(audit_rows(ctx, parent)) == WORKERS
    assert len(children(ctx, parent)) == successes
    sums = money_out(ctx, parent)
    assert sums.get("RF", 0) + sums.get("CB", 0) <= 10_000
    assert sum(1 for k in children(ctx, parent) if k.type == "CB") <= 1
    assert_chain_ok(ctx)
