"""The gateway sandbox as a separate process, and bo contexts in gateway mode.

``SandboxProcess`` runs ``bo gateway sandbox`` on a free loopback port and
drives its admin endpoints (payments, faults, state). Nothing of bo's own code
is replaced: tests talk to the sandbox over HTTP like bo does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bo_core.gateway.settings import OPP, GatewaySettings
from bo_core.services.context import Context, utcnow

BO = Path(sys.executable).parent / "bo"
TOKEN = "sandbox-test-token"
ENTITY = "8a8294174b7ecb28014b9699220015ca"
OTHER_ENTITY = "8a8294174b7ecb28014b9699220015cb"
SECRET = "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SandboxProcess:
    port: int
    proc: subprocess.Popen[bytes]
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(f"/__sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def payment(
        self,
        payment_type: str = "DB",
        amount: str = "100.00",
        currency: str = "EUR",
        entity: str = ENTITY,
        **extra: Any,
    ) -> dict[str, Any]:
        """An initial PA or DB made by a customer (the sandbox notifies it if a webhook URL is set)."""
        body = {
            "paymentType": payment_type,
            "amount": amount,
            "currency": currency,
            "entityId": entity,
            **extra,
        }
        return dict(self.admin("payments", body))

    def faults(self, *rules: dict[str, Any]) -> None:
        self.admin("faults", {"faults": list(rules)})

    def config(self, **values: Any) -> None:
        self.admin("config", values)

    def state(self, referenced_id: str | None = None) -> dict[str, dict[str, Any]]:
        """The sandbox's transactions (only the children of ``referenced_id`` if given)."""
        params = {"referencedId": referenced_id} if referenced_id else {}
        data = self.http.get("/__sandbox/state", params=params).json()
        return {t["id"]: t for t in data["transactions"]}

    def webhooks_in_flight(self) -> int:
        return int(self.http.get("/__sandbox/state").json()["pending_webhooks"])

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_sandbox(tmp: Path | None = None, **env: str) -> SandboxProcess:
    port = free_port()
    args = [str(BO), "gateway", "sandbox", "--port", str(port), "--token", TOKEN]
    if tmp is not None:
        args += ["--state", str(tmp / "sandbox-state.json")]
    full_env = {**os.environ, "BO_WEBHOOK_SECRET": SECRET, **env}
    proc = subprocess.Popen(args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    box = SandboxProcess(port, proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if box.http.get("/__sandbox/faults").status_code == 200:
                return box
        except httpx.TransportError:
            time.sleep(0.05)
    box.stop()
    raise RuntimeError("the sandbox did not start")


def opp_settings(url: str, **overrides: Any) -> GatewaySettings:
    base = GatewaySettings(
        mode=OPP,
        url=url,
        token=TOKEN,
        entity_id=ENTITY,
        default_merchant="default",
        timeout_seconds=10.0,  # generous: the machine running the tests may be loaded
        webhook_secret=bytes.fromhex(SECRET),
    )
    return replace(base, **overrides)


def opp_env(url: str, timeout: float = 10.0) -> dict[str, str]:
    return {
        "BO_GATEWAY": "opp",
        "BO_GATEWAY_URL": url,
        "BO_GATEWAY_TOKEN": TOKEN,
        "BO_GATEWAY_ENTITY_ID": ENTITY,
        "BO_GATEWAY_TIMEOUT_SECONDS": str(timeout),
        "BO_WEBHOOK_SECRET": SECRET,
    }


def in_opp_mode(ctx: Context, url: str, **overrides: Any) -> Context:
    ctx.settings = replace(ctx.settings, gateway=opp_settings(url, **overrides))
    ctx.clock = utcnow  # the sandbox stamps real time
    return ctx


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxProcess]:
    box = start_sandbox()
    yield box
    box.stop()


@pytest.fixture
def sandbox(sandbox_session: SandboxProcess) -> Iterator[SandboxProcess]:
    """The shared sandbox process, with no faults set and no webhook URL."""
    sandbox_session.faults()
    sandbox_session.config(webhook_url=None)
    yield sandbox_session
    sandbox_session.faults()


def parent_at_gateway(
    box: SandboxProcess, ctx: Context, payment_type: str = "DB", amount: str = "100.00", currency: str = "EUR"
) -> str:
    """A customer's PA or DB made at the sandbox and known to bo (as an import would store it)."""
    from bo_core.services.gateway_ingest import ingest

    record = box.payment(payment_type, amount, currency)
    ingest(ctx, record, "import")
    return str(record["id"])


def children_at_gateway(box: SandboxProcess, parent_id: str) -> list[dict[str, Any]]:
    return list(box.state(parent_id).values())


def bo_children(ctx: Context, parent_id: str) -> list[Any]:
    from bo_core.services.ledger import children_of

    with ctx.db.uow() as uow:
        rows = children_of(uow.session, parent_id)
        uow.session.expunge_all()
        return rows


@dataclass
class ReceiverProcess:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/opp"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_receiver(database_url: str, gateway_url: str) -> ReceiverProcess:
    """``bo webhooks serve`` on a free port, storing into ``database_url``."""
    port = free_port()
    env = {**os.environ, **opp_env(gateway_url), "BO_DATABASE_URL": database_url}
    log = tempfile.NamedTemporaryFile(prefix="bo-webhooks-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [str(BO), "webhooks", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    receiver = ReceiverProcess(port, proc, Path(log.name))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return receiver
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(f"the receiver exited: {Path(log.name).read_text()}") from None
            time.sleep(0.05)
    receiver.stop()
    raise RuntimeError("the webhook receiver did not start")


def wait_for_webhooks(box: SandboxProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while box.webhooks_in_flight() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert box.webhooks_in_flight() == 0, "webhooks still undelivered"
