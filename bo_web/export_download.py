"""``/media/export/<token>``: an export's temporary file, streamed to the session that owns it.

The file is read in chunks (never whole into memory) and deleted once it has been
sent completely; another session, a closed session or an expired export gets 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from bo_core.services import export_files
from bo_core.services.context import Context

EXPORT_PREFIX = "/media/export/"
CHUNK = 1 << 16

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


def download_url(token: str) -> str:
    return f"{EXPORT_PREFIX}{token}"


async def send_export(token: str, session_id: str, ctx: Context, send: Send) -> None:
    found = await asyncio.to_thread(export_files.claim_download, ctx, token, session_id)
    if found is None:
        await _plain(send, 404, b"No such export for this session (it may have expired).")
        return
    disposition = f"attachment; filename=\"{found.file_name}\"; filename*=UTF-8''{quote(found.file_name)}"
    headers = [
        (b"content-type", b"text/csv; charset=utf-8"),
        (b"content-length", str(found.size).encode()),
        (b"content-disposition", disposition.encode("latin-1")),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    with found.path.open("rb") as fh:
        while chunk := await asyncio.to_thread(fh.read, CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    await asyncio.to_thread(export_files.remove_export, ctx, token)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}
    )
    await send({"type": "http.response.body", "body": body})
