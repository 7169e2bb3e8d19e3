"""App memory across exports: the real server (`streamlit run serve.py`) driven by Chromium.

``python -m bench.exports --rows 300000 --runs 5 [--database-url URL]``

Loads ``--rows`` demo transactions (once; reused while the count matches), starts
the production entry point, signs a manager in through the form, picks "Any time"
so every row matches, then ``--runs`` times: prepares the Transactions CSV, downloads
it through the link (the server streams the temporary file), and checks the file is
gone afterwards. The server's RSS (``VmRSS`` of its process) is sampled every 100 ms;
printed as a Markdown table and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.machine import current_machine

ROOT = Path(__file__).resolve().parents[1]
USER = "bench-manager"
PASSWORD = "bench export passphrase"
CHROMIUM = "/usr/bin/chromium"
LINK = "a.bo-export-link"


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """The highest ``VmRSS`` of ``pid`` seen since the last ``reset``."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.high, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.high = max(self.high, _status_mb(self.pid, "VmRSS"))
            time.sleep(0.1)

    def reset(self) -> float:
        high, self.high = self.high, 0.0
        return high


def _prepare_database(url: str, rows: int) -> None:
    from dataclasses import replace

    from sqlalchemy import func, select

    from bo_core.config import Settings, normalize_url
    from bo_core.db import migrate
    from bo_core.db.models import TransactionRow
    from bo_core.db.uow import Database
    from bo_core.demo import generate_demo
    from bo_core.domain.authorization import SYSTEM
    from bo_core.domain.errors import NotFound
    from bo_core.domain.permissions import load_roles
    from bo_core.services import scopes, users
    from bo_core.services.context import Context

    settings = Settings(database_url=normalize_url(url), roles=load_roles(None), bcrypt_rounds=4)
    db = Database(settings.database_url)
    migrate.upgrade(db.engine)
    ctx = Context(db=db, settings=replace(settings))
    with db.engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(TransactionRow)).scalar_one()
    if present == 0:
        generate_demo(ctx, rows)
    elif present != rows:
        raise SystemExit(f"{url} holds {present:,} rows, not {rows:,}: use another database")
    try:
        users.get_user(ctx, USER, actor=SYSTEM)
    except NotFound:
        users.create_user(ctx, USER, "manager", PASSWORD, name="Bench Manager", actor=SYSTEM)
        scopes.assign(ctx, USER, "*", actor=SYSTEM)
    db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, export_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "BO_DATABASE_URL": url,
        "BO_COOKIE_KEY": secrets.token_urlsafe(48),
        "BO_EXPORT_DIR": str(export_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BO_DEMO_MODE", None)
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"the server did not start:\n{log.read_text()[-2000:]}")


def measure(url: str, rows: int, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    _prepare_database(url, rows)
    work = Path(tempfile.mkdtemp(prefix="bo-bench-exports-"))
    export_dir = work / "exports"
    proc, base = _start(url, export_dir, work / "streamlit.log")
    sampler = Sampler(proc.pid)
    sampler.start()
    result: dict[str, Any] = {"rows": rows, "runs": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(600_000)
            idle = "[data-testid=stApp][data-test-script-state=notRunning]"
            page.goto(base)
            page.locator(".st-key-sign_in_username input").fill(USER)
            page.locator(".st-key-sign_in_password input").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Transactions").wait_for()
            page.locator(idle).wait_for()
            page.locator(".st-key-period").click()
            page.get_by_role("option", name="Any time", exact=True).click()
            page.wait_for_timeout(500)
            page.locator(idle).wait_for()
            page.get_by_text("The export will hold").wait_for()
            result["signed_in_rss_mb"] = _status_mb(proc.pid, "VmRSS")
            sampler.reset()
            for i in range(runs):
                previous = page.locator(LINK).get_attribute("href") if page.locator(LINK).count() else None
                t0 = time.perf_counter()
                page.locator(".st-key-export_prepare button").click()
                page.wait_for_function(
                    "old => { const a = document.querySelector('a.bo-export-link');"
                    " return a && a.getAttribute('href') !== old; }",
                    arg=previous,
                    timeout=900_000,
                )
                built = time.perf_counter() - t0
                with page.expect_download() as info:
                    page.locator(LINK).click()
                size = Path(info.value.path()).stat().st_size
                time.sleep(0.5)
                result["runs"].append(
                    {
                        "export": i + 1,
                        "build_s": round(built, 1),
                        "bytes": size,
                        "peak_rss_mb": round(sampler.reset(), 1),
                        "after_rss_mb": round(_status_mb(proc.pid, "VmRSS"), 1),
                        "files_left": len(list(export_dir.glob("*.csv"))),
                    }
                )
            browser.close()
        result["process_peak_mb"] = round(_status_mb(proc.pid, "VmHWM"), 1)
    finally:
        sampler.running = False
        proc.terminate()
        proc.wait(timeout=30)
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Signed in, Transactions page with every row matching: **{result['signed_in_rss_mb']:.0f} MB**.",
        "",
        "| Export | Rows | Build s | File MB | Peak RSS during MB | RSS after MB | Temp files left |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['export']} | {result['rows']:,} | {run['build_s']} | {run['bytes'] / 1e6:.1f} | "
            f"{run['peak_rss_mb']:.0f} | {run['after_rss_mb']:.0f} | {run['files_left']} |"
        )
    lines.append(
        f"\nPeak RSS of the server process over its lifetime (VmHWM): {result['process_peak_mb']:.0f} MB."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{ROOT / 'bench' / 'out' / f'exports-{args.rows}.sqlite3'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    machine = current_machine()
    result = measure(url, args.rows, args.runs)
    print(f"Machine: {machine.describe()}\n")
    print(markdown(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
