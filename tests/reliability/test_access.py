"""Permissions are enforced in the core, for every caller.

Every (role, operation) pair the default roles do not allow is refused with
800.900.301 and audited exactly once, called directly and through ``bo run``.
Disabled users can neither act (800.900.302, audited) nor sign in.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError
from bo_core.domain.permissions import permission_for
from bo_core.domain.types import Operation
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import PASSWORD, add_tx, add_user, reason_for
from tests.reliability._support import cli_available, record, run_cli
from tests.rows import audit_rows, children, counts

EXPECTED_FORBIDDEN = {("viewer", op.value) for op in Operation} | {
    ("analyst", "chargeback"),
    ("analyst", "chargeback_reversal"),
}
PARENT_TYPE = {
    "capture": "PA",
    "reversal": "PA",
    "refund": "DB",
    "rebill": "DB",
    "chargeback": "DB",
    "chargeback_reversal": "CB",
}
AMOUNT = {"reversal": None, "rebill": "5.00"}


def forbidden_pairs(ctx: Context) -> list[tuple[str, str]]:
    roles = ctx.settings.roles
    return sorted(
        (name, op.value)
        for name, role in roles.items()
        for op in Operation
        if not role.can(permission_for(op))
    )


def _parent(ctx: Context, operation: str) -> str:
    kind = PARENT_TYPE[operation]
    if kind == "CB":
        debit = add_tx(ctx, "DB", 10_000)
        return add_tx(ctx, "CB", 2_000, parent=debit)
    return add_tx(ctx, kind, 10_000)


def _check_refused_once(ctx: Context, parent: str, username: str, code: str) -> None:
    rows = audit_rows(ctx, parent)
    assert len(rows) == 1, f"exactly one audit record, found {len(rows)}"
    assert rows[0].outcome == "refused" and rows[0].result_code == code and rows[0].username == username
    assert children(ctx, parent) == []


def test_default_roles_forbid_exactly_the_documented_pairs(sqlite_ctx: Context) -> None:
    assert set(forbidden_pairs(sqlite_ctx)) == EXPECTED_FORBIDDEN


def test_every_forbidden_role_operation_pair_is_refused_and_audited_once(ctx: Context) -> None:
    names = {role: add_user(ctx, role) for role in ("viewer", "analyst")}
    pairs = forbidden_pairs(ctx)
    for role, operation in pairs:
        parent = _parent(ctx, operation)
        before = counts(ctx)
        result = run_operation(
            ctx,
            OperationRequest(
                operation,
                parent,
                names[role],
                amount=AMOUNT.get(operation, "10.00"),
                reason=reason_for(operation),
            ),
        )
        assert result.outcome == "refused" and result.result_code == rc.PERMISSION_DENIED, (role, operation)
        assert result.message
        _check_refused_once(ctx, parent, names[role], rc.PERMISSION_DENIED)
        assert counts(ctx).transactions == before.transactions
    record("access", ctx, channel="service", pairs=len(pairs), refused=len(pairs), audited=len(pairs))


@pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")
def test_every_forbidden_pair_is_refused_through_bo_run(ctx: Context, db_url: str) -> None:
    names = {role: add_user(ctx, role) for role in ("viewer", "analyst")}
    pairs = forbidden_pairs(ctx)
    parents = {pair: _parent(ctx, pair[1]) for pair in pairs}

    def call(pair: tuple[str, str]) -> tuple[tuple[str, str], int, dict[str, object], str]:
        role, operation = pair
        argv = ["run", operation, parents[pair], "--as", names[role], "--json"]
        amount = AMOUNT.get(operation, "10.00")
        if amount:
            argv += ["--amount", amount]
        if reason_for(operation):
            argv += ["--reason", str(reason_for(operation))]
        proc = run_cli(db_url, *argv)
        return pair, proc.returncode, json.loads(proc.stdout or "{}"), proc.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(call, pairs))
    for pair, code, data, stderr in outcomes:
        assert code == 1, (pair, code, stderr[:300])
        assert data.get("result_code") == rc.PERMISSION_DENIED and data.get("outcome") == "refused", pair
        assert "Traceback" not in stderr
        _check_refused_once(ctx, parents[pair], names[pair[0]], rc.PERMISSION_DENIED)
    record("access", ctx, channel="bo run", pairs=len(pairs), refused=len(pairs), audited=len(pairs))


ALLOWED = {"analyst": "refund", "manager": "chargeback", "admin": "refund"}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_disabled_user_cannot_act_and_cannot_sign_in(ctx: Context, role: str) -> None:
    name = add_user(ctx, role)
    assert users.authenticate(ctx, name, PASSWORD).username == name
    users.disable_user(ctx, name, actor=SYSTEM)
    parent = add_tx(ctx, "DB", 10_000)
    result = run_operation(
        ctx, OperationRequest(ALLOWED[role], parent, name, amount="10.00", reason=reason_for(ALLOWED[role]))
    )
    assert result.outcome == "refused" and result.result_code == rc.USER_DISABLED
    _check_refused_once(ctx, parent, name, rc.USER_DISABLED)
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, name, PASSWORD)
    channels = 2
    if cli_available():
        other = add_tx(ctx, "DB", 10_000)
        argv = ("run", ALLOWED[role], other, "--as", name, "--amount", "10.00", "--json")
        proc = run_cli(ctx.db.url, *argv, "--reason", str(reason_for(ALLOWED[role])))
        assert proc.returncode == 1 and json.loads(proc.stdout)["result_code"] == rc.USER_DISABLED
        _check_refused_once(ctx, other, name, rc.USER_DISABLED)
        channels += 1
    record(
        "access",
        ctx,
        channel=f"disabled {role}",
        pairs=1,
        refused=channels - 1,
        audited=channels - 1,
        sign_in_refused=1,
    )
