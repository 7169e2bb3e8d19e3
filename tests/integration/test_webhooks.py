"""The notification receiver (`bo webhooks serve`, its own process, one per module on a SQLite file).

The receiver's storing is the shared ingest function, which the import tests
run on both backends.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.gateway.crypto import encrypt
from bo_core.services.context import Context
from bo_core.services.show import show_transaction
from tests.conftest import make_context
from tests.factories import row_counts
from tests.gateway_support import ENTITY, SECRET, ReceiverProcess, SandboxProcess, start_receiver

KEY = bytes.fromhex(SECRET)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, sandbox_session: SandboxProcess
) -> Iterator[tuple[Context, ReceiverProcess]]:
    context = make_context(f"sqlite:///{tmp_path_factory.mktemp('hooks') / 'bo.sqlite3'}")
    process = start_receiver(context.db.url, sandbox_session.url)
    yield context, process
    process.stop()
    context.db.dispose()


@pytest.fixture
def ctx(world: tuple[Context, ReceiverProcess]) -> Context:
    return world[0]


@pytest.fixture
def receiver(world: tuple[Context, ReceiverProcess]) -> ReceiverProcess:
    return world[1]


def record(
    payment_type: str = "DB", amount: str = "100.00", ref: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "paymentType": payment_type,
        "amount": amount,
        "currency": "EUR",
        "referencedId": ref,
        "merchantTransactionId": f"ORD-{uuid.uuid4().hex[:8]}",
        "result": {"code": "000.000.000", "description": "Transaction succeeded"},
        "timestamp": "2026-11-24 10:15:00+0000",
        "paymentBrand": "VISA",
        "card": {"bin": "411111", "last4Digits": "1111", "holder": "Jane Doe"},
        "authentication": {"entityId": ENTITY},
        **extra,
    }


def post(receiver: ReceiverProcess, plaintext: bytes, *, tamper: str | None = None) -> httpx.Response:
    body, iv, tag = encrypt(KEY, plaintext)
    if tamper == "body":
        body = ("0" if body[0] != "0" else "1") + body[1:]
    elif tamper == "iv":
        iv = ("0" if iv[0] != "0" else "1") + iv[1:]
    elif tamper == "tag":
        tag = tag[:-1] + ("0" if tag[-1] != "0" else "1")
    headers = {"Content-Type": "text/plain", "X-Initialization-Vector": iv, "X-Authentication-Tag": tag}
    return httpx.post(receiver.url, content=body, headers=headers, timeout=30)


def notify(receiver: ReceiverProcess, payload: dict[str, Any]) -> httpx.Response:
    return post(receiver, json.dumps({"type": "PAYMENT", "payload": payload}).encode())


def test_health_answers_ok(receiver: ReceiverProcess) -> None:
    response = httpx.get(receiver.url.replace("/webhooks/opp", "/healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_spec_test_vector_is_decrypted_and_its_empty_payment_refused_unwritten(
    ctx: Context, receiver: ReceiverProcess
) -> None:
    before = row_counts(ctx)
    response = httpx.post(
        receiver.url,
        content="F8E2F759E528CB69375E51DB2AF9B53734E393",
        headers={
            "Content-Type": "text/plain",
            "X-Initialization-Vector": "3D575574536D450F71AC76D8",
            "X-Authentication-Tag": "19FDD068C6F383C173D3A906F7BD1D83",
        },
    )
    assert response.status_code == 422  # authentic, but a PAYMENT without a payload cannot be stored
    assert row_counts(ctx) == before


def test_a_new_payment_is_stored_and_its_redelivery_changes_nothing(
    ctx: Context, receiver: ReceiverProcess
) -> None:
    payload = record()
    assert notify(receiver, payload).status_code == 200
    stored = show_transaction(ctx, payload["id"], actor=SYSTEM).transaction
    assert (stored.type, stored.amount.to_str(), stored.source, stored.status) == (
        "DB",
        "100.00",
        "gateway",
        "success",
    )
    counts = row_counts(ctx)
    again = notify(receiver, payload)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert row_counts(ctx) == counts


@pytest.mark.parametrize("tamper", ["body", "iv", "tag"])
def test_tampered_ciphertext_iv_or_tag_is_refused_and_nothing_written(
    ctx: Context, receiver: ReceiverProcess, tamper: str
) -> None:
    before = row_counts(ctx)
    response = post(receiver, json.dumps({"type": "PAYMENT", "payload": record()}).encode(), tamper=tamper)
    assert 400 <= response.status_code < 500
    assert row_counts(ctx) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "nothex"},
        {**record(), "amount": "ten"},
        {**record(), "result": {"code": "bad"}},
        {**record("RF"), "referencedId": None},
    ],
)
def test_a_payload_that_cannot_be_stored_gets_4xx_and_writes_nothing(
    ctx: Context, receiver: ReceiverProcess, payload: dict[str, Any]
) -> None:
    before = row_counts(ctx)
    response = notify(receiver, payload)
    assert 400 <= response.status_code < 500
    assert row_counts(ctx) == before


def test_a_body_over_one_mebibyte_is_refused(ctx: Context, receiver: ReceiverProcess) -> None:
    before = row_counts(ctx)
    response = httpx.post(receiver.url, content=b"00" * (600 * 1024), headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert row_counts(ctx) == before


def test_a_refund_before_its_parent_is_kept_until_the_parent_arrives(
    ctx: Context, receiver: ReceiverProcess
) -> None:
    parent = record("DB", "100.00")
    refund = record("RF", "30.00", ref=parent["id"])
    assert 200 <= notify(receiver, refund).status_code < 300
    assert 200 <= notify(receiver, parent).status_code < 300
    assert notify(receiver, refund).status_code == 200  # a redelivery of the early one changes nothing
    details = show_transaction(ctx, parent["id"], actor=SYSTEM)
    assert [c.uuid for c in details.children] == [refund["id"]]
    assert details.balances["refunded"].to_str() == "30.00"


def test_chargeback_and_its_reversal_from_notifications_change_the_balances(
    ctx: Context, receiver: ReceiverProcess
) -> None:
    debit = record("DB", "80.00")
    chargeback = record("CB", "80.00", ref=debit["id"])
    for payload in (debit, chargeback):
        assert notify(receiver, payload).status_code == 200
    assert show_transaction(ctx, debit["id"], actor=SYSTEM).balances["available"].to_str() == "0.00"
    reversal = record("CR", "80.00", ref=chargeback["id"])
    assert notify(receiver, reversal).status_code == 200
    assert show_transaction(ctx, debit["id"], actor=SYSTEM).balances["available"].to_str() == "80.00"


def test_the_sandbox_notifies_bo_of_new_payments(
    ctx: Context, sandbox: SandboxProcess, receiver: ReceiverProcess
) -> None:
    sandbox.config(webhook_url=receiver.url)
    before = row_counts(ctx)[0]
    payment = sandbox.payment("PA", "12.34")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and row_counts(ctx)[0] == before:
        time.sleep(0.1)
    assert show_transaction(ctx, payment["id"], actor=SYSTEM).transaction.amount.to_str() == "12.34"
