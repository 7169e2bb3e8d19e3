"""The demo's operation history: weeks of attempts by the demo users, refusals included."""

from __future__ import annotations

from datetime import timedelta

from bo_core.demo.bootstrap import ensure_demo
from bo_core.demo.history import write_demo_history
from bo_core.domain.authorization import SYSTEM
from bo_core.services import audit
from bo_core.services.context import Context
from bo_core.services.history import HistoryFilters, history_stats


def test_the_first_start_writes_weeks_of_attempts_by_the_demo_users(ctx: Context) -> None:
    assert ensure_demo(ctx, transactions=600)
    stats = history_stats(ctx, HistoryFilters(), actor=SYSTEM)
    assert stats.attempts >= 60
    assert 0.1 <= stats.refusals / stats.attempts <= 0.6  # refusals included, not the norm
    days = {day for day, _op, _n in stats.per_day_by_operation}
    assert max(days) - min(days) >= timedelta(days=20)
    users = {user for user, _outcome, _n in stats.per_user_outcome}
    assert {"analyst", "manager", "admin"} <= users
    assert len(stats.refusals_by_reason) >= 2 and len(stats.refusals_by_role) >= 2
    assert stats.refused_attempted  # refused attempts keep their amounts
    assert audit.verify_audit_chain(ctx, actor=SYSTEM).ok
    assert write_demo_history(ctx) == 0  # never twice
