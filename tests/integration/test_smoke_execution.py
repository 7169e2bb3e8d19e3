"""A first end-to-end pass through execution on both backends."""

from bo_core.domain.money import Money
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user


def test_partial_capture_then_replay_returns_first_result(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    pa = add_tx(ctx, "PA", 10_000)
    req = OperationRequest("capture", pa, analyst, amount="30.00", idempotency_key="key-1")
    first = run_operation(ctx, req)
    again = run_operation(ctx, req)
    assert first.ok and first.available_after == Money(7000, "EUR")
    assert again.replayed and again.uuid == first.uuid
