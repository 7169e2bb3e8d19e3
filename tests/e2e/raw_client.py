"""A raw Streamlit websocket client, as an attacker without a browser would write it.

``run_script`` connects to ``/_stcore/stream`` (optionally resuming a Streamlit session
id, with any Origin and cookies), asks for one script run and returns the text of
every element the run sent.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class RunResult:
    texts: list[str] = field(default_factory=list)
    session_id: str | None = None
    refused: bool = False  # the server closed the connection before any run

    def shows(self, needle: str) -> bool:
        return any(needle in t for t in self.texts)


def session_id_of(frame: bytes) -> str | None:
    msg = ForwardMsg()
    try:
        msg.ParseFromString(frame)
    except Exception:
        return None
    if msg.HasField("new_session"):
        return str(msg.new_session.initialize.session_id) or None
    return None


async def _run(
    base_url: str,
    *,
    session_id: str | None,
    origin: str | None,
    cookie: str | None,
    widget_states: bytes | None,
    timeout: float,
) -> RunResult:
    url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    protocols = ["streamlit", "placeholder", session_id] if session_id else ["streamlit"]
    headers: dict[str, str] = {}
    if cookie:
        headers["Cookie"] = cookie
    result = RunResult()
    try:
        async with websockets.connect(
            url,
            subprotocols=protocols,  # type: ignore[arg-type]
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            max_size=None,
        ) as ws:
            back = BackMsg()
            back.rerun_script.query_string = ""
            back.rerun_script.page_script_hash = ""
            if widget_states is not None:
                back.rerun_script.widget_states.ParseFromString(widget_states)
            await ws.send(back.SerializeToString())
            while True:
                data = await asyncio.wait_for(ws.recv(), timeout)
                msg = ForwardMsg()
                msg.ParseFromString(data)  # type: ignore[arg-type]
                if msg.HasField("new_session"):
                    result.session_id = msg.new_session.initialize.session_id
                if msg.HasField("delta"):
                    result.texts.append(str(msg.delta))
                if msg.HasField("script_finished"):
                    return result
    except (websockets.exceptions.ConnectionClosed, websockets.exceptions.InvalidStatus, OSError):
        result.refused = not result.texts
        return result


def run_script(
    base_url: str,
    *,
    session_id: str | None = None,
    origin: str | None = None,
    cookie: str | None = None,
    widget_states: bytes | None = None,
    timeout: float = 60.0,
) -> RunResult:
    def in_own_loop() -> RunResult:  # Playwright's sync API owns this thread's event loop
        return asyncio.run(
            _run(
                base_url,
                session_id=session_id,
                origin=origin,
                cookie=cookie,
                widget_states=widget_states,
                timeout=timeout,
            )
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_own_loop).result()
