"""A bulk run killed mid-way (SIGKILL of the `bo` process) and resumed books every line exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.services import bulk_store
from bo_core.services.context import Context
from tests.cli.conftest import BO, Bo
from tests.cli.conftest import bo as bo
from tests.factories import add_user

LINES = 600


def add_captures(ctx: Context, n: int) -> list[str]:
    rows = [
        TransactionRow(
            uuid=uuid.uuid4().hex,
            transaction_id=f"ORD-{i}",
            type="CP",
            amount_minor=10_000,
            currency="EUR",
            result_code=rc.SUCCESS,
            result_description="ok",
            status="success",
            merchant="acme-shop",
            channel="web",
            payment_method="CC",
            brand="VISA",
            created_at=ctx.now() - timedelta(hours=1),
            source="gateway",
        )
        for i in range(n)
    ]
    with ctx.db.uow(write=True) as uow:
        uow.session.add_all(rows)
        uow.commit()
    return [r.uuid for r in rows]


def audit_count(ctx: Context) -> int:
    with ctx.db.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(AuditRecord)).scalar_one())


def test_killed_bulk_run_resumes_to_the_end_and_books_every_line_once(
    ctx: Context, bo: Bo, tmp_path: Path
) -> None:
    analyst = add_user(ctx, "analyst")
    parents = add_captures(ctx, LINES // 2)
    # Two refunds per parent, far apart in the file: 60 + 50 > 100, so the second is refused.
    lines = [f"{p},refund,60,duplicate" for p in parents] + [f"{p},refund,50,duplicate" for p in parents]
    path = tmp_path / "big.csv"
    path.write_text("parent_uuid,operation,amount,reason\n" + "\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "BO_DATABASE_URL": ctx.db.url}
    proc = subprocess.Popen(
        [str(BO), "bulk", "run", str(path), "--as", analyst],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()  # printed before any line runs
    deadline = time.monotonic() + 60
    while audit_count(ctx) < LINES // 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    interrupted = bulk_store.read_report(ctx, run_id, actor=SYSTEM)
    assert interrupted.summary.status == "running"
    assert interrupted.summary.counts["undecided"] > 0, "the run ended before it was killed"
    assert audit_count(ctx) < LINES

    resumed = bo("bulk", "resume", run_id, "--as", analyst, "--json")
    assert resumed.code == 0, resumed.stderr
    data = resumed.json
    assert data["run_id"] == run_id and len(data["lines"]) == LINES
    outcomes = [ln["outcome"] for ln in data["lines"]]
    assert outcomes == ["success"] * (LINES // 2) + ["refused"] * (LINES // 2)
    assert data["totals"] == {"EUR": f"{60 * LINES // 2}.00"}
    with ctx.db.uow() as uow:
        s = uow.session
        per_parent = dict(
            s.execute(
                select(TransactionRow.parent_uuid, func.count())
                .where(TransactionRow.type == "RF")
                .group_by(TransactionRow.parent_uuid)
            ).all()
        )
    assert per_parent == {p: 1 for p in parents}
    assert audit_count(ctx) == LINES  # one attempt per line, none repeated
    assert bulk_store.read_report(ctx, run_id, actor=SYSTEM).summary.status == "done"
