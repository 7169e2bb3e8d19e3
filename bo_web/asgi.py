"""The app's own server around Streamlit (``st.App``, started by ``streamlit run serve.py``).

What a reverse proxy alone cannot promise a user who reaches the app directly:

- websocket handshakes only from an allowed origin and host (``bo_core.security.origins``);
- security headers on every HTTP response (CSP with ``img-src 'self'``,
  ``frame-ancestors 'self'``, nosniff, Referrer-Policy, ...);
- files under ``/media/`` only for a browser with a live session cookie; exports
  (``/media/export/<token>``) only for the session that made them, streamed from
  their temporary file and deleted once sent (``bo_web.export_download``);
- a client's "clear caches" message dropped (the caches are global: any client could
  otherwise empty them for everyone);
- no resuming of a Streamlit session by its id: a reconnection gets a new session
  (the id is a bearer credential for the session's server-side state otherwise);
- ``/readyz``: 200 only when the app would really serve (database reachable and
  migrated, a strong cookie key, no demo users in production, demo mode on a demo
  database), 503 with the reasons otherwise. ``/_stcore/health`` only says the
  process is up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from bo_core.config import get_settings
from bo_core.security.origins import origin_allowed
from bo_web.export_download import EXPORT_PREFIX, send_export

if TYPE_CHECKING:
    from bo_core.security.sessions import ActiveSession

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Streamlit's bundle and Vega charts
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",  # Streamlit components are same-origin iframes
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class SecurityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        s = get_settings()
        headers = _headers(scope)
        if not origin_allowed(headers.get("origin"), headers.get("host"), s.allowed_origins, s.allowed_hosts):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return

        scope = {**scope, "headers": _without_session_resume(scope.get("headers", []))}

        async def filtered_receive() -> Message:
            while True:
                message = await receive()
                if message.get("type") == "websocket.receive" and _is_forbidden_back_msg(message):
                    continue
                return message

        await self.app(scope, filtered_receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if path.rstrip("/") == "/readyz":
            await _respond_readiness(send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.encode() not in existing
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if path.startswith("/media/"):
            live = await asyncio.to_thread(_live_session, scope)
            if live is None:
                await _respond(send, 403, b"A signed-in session is required.", "text/plain")
                return
            if path.startswith(EXPORT_PREFIX):
                await send_export(path.removeprefix(EXPORT_PREFIX), live.id, _context(), with_headers)
                return

        await self.app(scope, receive, with_headers)


def _without_session_resume(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Drop the Streamlit session id a client asks to resume (the third subprotocol entry).

    Resuming hands over the server-side state of whoever held that id; every connection
    therefore starts a new Streamlit session, and the sign-in comes from its own cookie.
    """
    kept = []
    for name, value in headers:
        if name.lower() == b"sec-websocket-protocol":
            entries = [e.strip() for e in value.decode("latin-1").split(",")]
            value = ", ".join(entries[:2]).encode("latin-1")
        kept.append((name, value))
    return kept


def _is_forbidden_back_msg(message: Message) -> bool:
    data = message.get("bytes")
    if not data:
        return False
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    try:
        msg.ParseFromString(data)
    except Exception:
        return False
    return msg.WhichOneof("type") in {"clear_cache", "set_run_on_save", "debug_shutdown_runtime"}


def _live_session(scope: Scope) -> ActiveSession | None:
    """The live bo session of the request's cookie, or None."""
    from bo_core.security import sessions
    from bo_core.security.sessions import ActiveSession
    from bo_web.auth import cookie_key
    from bo_web.websession import COOKIE_NAME

    raw = _headers(scope).get("cookie", "")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return None
    morsel = jar.get(COOKIE_NAME)
    key = cookie_key(get_settings().demo_mode)
    token = sessions.unsign(morsel.value, key) if morsel and key else None
    if token is None:
        return None
    found = sessions.validate(_context(), token)
    return found if isinstance(found, ActiveSession) else None


def _context() -> Any:
    from bo_core.services.context import open_context

    global _CTX
    if _CTX is None:
        _CTX = open_context(get_settings(), migrate_if_needed=False)
    return _CTX


_CTX: Any = None


def readiness_problems() -> list[str]:
    """Why the app would not serve right now (empty when it would)."""
    from bo_core.db import migrate

    settings = get_settings()
    try:
        ctx = _context()
        if not migrate.is_up_to_date(ctx.db.engine):
            if ctx.db.is_sqlite and migrate.current_revision(ctx.db.engine) is None:
                return []  # the embedded database migrates itself on the first page view
            return ["The database schema is not up to date: run `bo db upgrade`."]
    except Exception as exc:
        return [f"The database is unreachable: {type(exc).__name__}"]
    if settings.demo_mode:
        from bo_core.security.demo_guard import demo_database_problem

        problem = demo_database_problem(ctx)
        return [problem] if problem else []
    from bo_web.auth import startup_problems

    return startup_problems(ctx)


async def _respond_readiness(send: Send) -> None:
    problems = await asyncio.to_thread(readiness_problems)
    body = json.dumps({"ready": not problems, "problems": problems}).encode()
    await _respond(send, 503 if problems else 200, body, "application/json")


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        *[(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()],
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
