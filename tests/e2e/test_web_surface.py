"""The app's own server: a page on another port cannot drive a signed-in session, security
headers on every response, a readiness check that tells the truth, media only with a session."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import NewPage, Server, _free_port, _run_server, sign_in
from tests.e2e.raw_client import run_script

pytestmark = pytest.mark.e2e

ATTACK_PAGE = """<!doctype html><html><body><script>
window.result = {opened: false, messages: 0, closed: null};
const ws = new WebSocket("WS_URL", ["streamlit"]);
ws.binaryType = "arraybuffer";
ws.onopen = () => { window.result.opened = true; };
ws.onmessage = () => { window.result.messages += 1; };
ws.onclose = (e) => { window.result.closed = e.code; };
</script></body></html>"""


@pytest.fixture
def attacker_site(app_server: Server) -> Iterator[str]:
    """A page served from another port of the same host, opening the app's websocket."""
    page = ATTACK_PAGE.replace("WS_URL", app_server.url.replace("http://", "ws://") + "/_stcore/stream")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = _free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}/"
    server.shutdown()


def test_a_page_on_another_port_cannot_open_the_signed_in_users_websocket(
    app_server: Server, new_page: NewPage, attacker_site: str
) -> None:
    page = new_page()
    sign_in(page, app_server.url, "analyst")  # the victim's browser holds a live session cookie
    page.goto(attacker_site)
    page.wait_for_function("window.result.closed !== null", timeout=30_000)
    result = page.evaluate("window.result")
    assert result["messages"] == 0  # not a single script run for the foreign page
    assert result["closed"] in (1006, 1008)


def test_a_raw_client_claiming_another_port_as_origin_is_refused(app_server: Server) -> None:
    port = app_server.url.rsplit(":", 1)[1]
    foreign = run_script(app_server.url, origin=f"http://localhost:{int(port) + 1}")
    assert foreign.refused and not foreign.texts
    own = run_script(app_server.url, origin=app_server.url)
    assert own.shows("Username")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_every_response_carries_the_security_headers(app_server: Server) -> None:
    for path in ("/", "/_stcore/health", "/readyz", "/media/none.csv"):
        _status, headers, _body = _get(app_server.url + path)
        csp = headers["content-security-policy"]
        assert "img-src 'self'" in csp and "frame-ancestors 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_media_files_need_a_live_session(app_server: Server) -> None:
    status, _headers, body = _get(app_server.url + "/media/0123456789abcdef.csv")
    assert status == 403 and b"signed-in session" in body


def test_readiness_tells_the_truth_when_the_app_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BO_DEMO_MODE", raising=False)
    monkeypatch.setenv("BO_COOKIE_KEY", "changeme-changeme-changeme-changeme")
    from tests.conftest import make_context

    database_url = f"sqlite:///{tmp_path / 'bo.sqlite3'}"
    make_context(database_url).db.dispose()
    with _run_server(tmp_path, database_url, demo=False) as (url, _log):
        assert _get(url + "/_stcore/health")[0] == 200  # the process is up ...
        status, _headers, body = _get(url + "/readyz")
        assert status == 503  # ... but it would not serve
        assert "guessable" in json.loads(body)["problems"][0]
