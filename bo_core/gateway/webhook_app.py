"""The notification receiver: ``POST /webhooks/opp`` and ``GET /healthz`` (ASGI, for uvicorn).

A notification is stored only if it decrypts (the tag authenticates it); the
answer is 2xx only after the database commit. Bad hex, IV, tag or key: 400 and
nothing written. A payload bo cannot store: 422. Bodies over 1 MiB: 413. A
redelivery: 200, nothing changes. A child before its parent: kept, 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bo_core.gateway.crypto import WebhookDecryptError, decrypt
from bo_core.services.context import Context
from bo_core.services.origin import through

MAX_BODY = 1024 * 1024
WEBHOOK_ACTOR = "webhook"
PATH = "/webhooks/opp"
log = logging.getLogger("bo.webhooks")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class TooLarge(Exception):
    pass


def make_app(ctx: Context) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    key = ctx.settings.gateway.webhook_secret

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"]
                if event == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method in ("GET", "HEAD"):
            return await _answer(send, 200, {"status": "ok"})
        if path != PATH:
            return await _answer(send, 404, {"error": "not found"})
        if method != "POST":
            return await _answer(send, 405, {"error": "use POST"})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if int(headers.get("content-length") or 0) > MAX_BODY:
                raise TooLarge
            body = await _read(receive)
        except (TooLarge, ValueError):
            return await _answer(send, 413, {"error": "body over 1 MiB"})
        try:
            plain = decrypt(
                key, headers.get("x-initialization-vector", ""), headers.get("x-authentication-tag", ""), body
            )
        except WebhookDecryptError as exc:
            log.warning("notification refused: %s", exc)
            return await _answer(send, 400, {"error": f"cannot decrypt: {exc}"})
        status, answer = await asyncio.to_thread(store, ctx, plain)
        if status >= 400:
            log.warning("notification not stored (HTTP %s): %s", status, answer.get("error"))
        await _answer(send, status, answer)

    return app


@through("webhook")
def store(ctx: Context, plaintext: bytes) -> tuple[int, dict[str, Any]]:
    """Store one decrypted notification; (HTTP status, JSON answer)."""
    from bo_core.services.gateway_ingest import ingest
    from bo_core.services.gateway_records import UnstorablePayload

    try:
        message = json.loads(plaintext)
    except (UnicodeDecodeError, ValueError):
        return 422, {"error": "the plaintext is not JSON"}
    if not isinstance(message, dict) or not isinstance(message.get("payload"), dict):
        return 422, {"error": 'expected {"type": ..., "payload": {...}}'}
    if message.get("type") != "PAYMENT":
        return 200, {"outcome": "ignored", "type": str(message.get("type"))[:40]}
    try:
        result = ingest(ctx, message["payload"], WEBHOOK_ACTOR)
    except UnstorablePayload as exc:
        return 422, {"error": exc.message}
    except Exception:
        log.exception("notification could not be stored")
        return 503, {"error": "not stored; retry later"}
    return 200, {"outcome": result.outcome, "uuid": result.uuid}


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


def serve(ctx: Context, host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(make_app(ctx), host=host, port=port, log_level="warning", lifespan="on")
