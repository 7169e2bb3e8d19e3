"""A real OpenID Connect provider on the loopback, and a production-mode bo server that uses it.

The provider is ``oidc-provider-mock`` (an Authlib-based provider with a login form where the
test types the subject, and ``PUT /users/<sub>`` to set that person's claims). The app is
``streamlit run serve.py`` with its own secrets file (``--secrets.files``) holding the
``[auth]`` section ``st.login`` reads.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import oidc_provider_mock

from tests.e2e.conftest import ROOT, _free_port, _wait_healthy

ROLE_CLAIM = "bo_groups"
ROLE_MAP = "bo-analysts=analyst,bo-managers=manager"


@contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider's issuer URL (a free port, its own thread, stopped afterwards)."""
    with oidc_provider_mock.run_server_in_thread(port=_free_port()) as server:
        url = f"http://localhost:{server.server_port}"
        with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=10) as answer:
            assert answer.status == 200
        yield url


def set_claims(provider: str, sub: str, **claims: object) -> None:
    """What the provider says about ``sub`` at its next sign-in."""
    response = httpx.put(f"{provider}/users/{quote(sub, safe='')}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


def _secrets_file(workdir: Path, provider: str) -> Path:
    path = workdir / "secrets.toml"
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(48)}"\n'
        'client_id = "bo-e2e"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    path.chmod(0o600)
    return path


@contextmanager
def sso_app(workdir: Path, database_url: str, provider: str) -> Iterator[str]:
    """bo in production mode (strong cookie key, no demo users) with single sign-on configured."""
    port = _free_port()
    log = workdir / "streamlit.log"
    env = {
        **os.environ,
        "BO_DATABASE_URL": database_url,
        "BO_BCRYPT_ROUNDS": "4",
        "BO_COOKIE_KEY": secrets.token_urlsafe(48),
        "BO_SSO_ROLE_CLAIM": ROLE_CLAIM,
        "BO_SSO_ROLES": ROLE_MAP,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BO_DEMO_MODE", None)
    command = [
        sys.executable, "-m", "streamlit", "run", "serve.py",
        "--server.headless", "true", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--secrets.files", str(_secrets_file(workdir, provider)),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
