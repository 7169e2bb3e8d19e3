"""A whole deployment on the loopback: PostgreSQL, PgBouncer, Streamlit replicas and HAProxy.

Everything runs from the repository's own configuration (``deploy/*.template``)
on free ports in temporary directories, and is stopped afterwards. PgBouncer
refuses to run as root, so under root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bo_core.config import normalize_url
from tests.conftest import postgres_base_url

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
START_TIMEOUT = 120.0
_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def render(template: Path, values: dict[str, str]) -> str:
    """Fill every ``${NAME}`` of ``template``; a missing value is an error (as it should be)."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template.read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tool(name: str) -> str:
    """The Debian binary ``name`` (installed by scripts/test-services); skip, or fail in CI, without it."""
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        message = f"{name} is missing: scripts/test-services installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode(errors="replace")


def wait_until_ok(url: str, proc: subprocess.Popen[bytes], log: Path, expect: str = "ok") -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if expect in http_get(url)[1]:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer {expect!r} in {START_TIMEOUT:.0f}s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- PostgreSQL


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new database on the test server (PgBouncer addresses databases, not schemas); dropped after."""
    base = postgres_base_url()
    name = f"bo_rep_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield normalize_url(make_url(base).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# --------------------------------------------------------------------------- PgBouncer


@dataclass
class Pooler:
    url: str  # what the replicas use: postgresql://user@127.0.0.1:port/bo
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]

    def show(self, what: str) -> list[dict[str, str]]:
        """``SHOW <what>`` on the admin console (psql: the console speaks the simple protocol only)."""
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-d", "pgbouncer"]
        command += ["-A", "-F", "|", "-P", "footer=off", "-c", f"SHOW {what}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        header, *rows = [line.split("|") for line in out.stdout.splitlines() if line]
        return [dict(zip(header, row, strict=True)) for row in rows]


def _server_socket(database_url: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        sockets = str(conn.execute(text("SHOW unix_socket_directories")).scalar_one())
        port = str(conn.execute(text("SHOW port")).scalar_one())
    engine.dispose()
    return sockets.split(",")[0].strip(), port


@contextmanager
def pgbouncer(database_url: str, *, pool_size: int = 4) -> Iterator[Pooler]:
    """PgBouncer in transaction mode in front of ``database_url``'s database, as alias ``bo``."""
    binary = tool("pgbouncer")
    client_user = pwd.getpwuid(os.getuid()).pw_name
    run_as = "postgres" if os.geteuid() == 0 else client_user
    workdir = Path(tempfile.mkdtemp(prefix="bo-pgbouncer-"))
    account = pwd.getpwnam(run_as)
    os.chown(workdir, account.pw_uid, account.pw_gid)
    socket_dir, server_port = _server_socket(database_url)
    dbname = make_url(database_url).database
    port = free_port()
    (workdir / "userlist.txt").write_text(f'"{client_user}" ""\n')
    ini = render(
        DEPLOY / "pgbouncer.ini.template",
        {
            "BO_POOL_DATABASES": f"bo = host={socket_dir} port={server_port} dbname={dbname} user={run_as}",
            "BO_POOL_LISTEN_ADDR": "127.0.0.1",
            "BO_POOL_LISTEN_PORT": str(port),
            "BO_POOL_SOCKET_DIR": "",
            "BO_POOL_AUTH_TYPE": "trust",
            "BO_POOL_AUTH_FILE": str(workdir / "userlist.txt"),
            "BO_POOL_SIZE": str(pool_size),
            "BO_POOL_MAX_CLIENTS": "200",
            "BO_POOL_ADMIN_USERS": client_user,
            "BO_POOL_LOGFILE": str(workdir / "pgbouncer.log"),
            "BO_POOL_PIDFILE": str(workdir / "pgbouncer.pid"),
        },
    )
    (workdir / "pgbouncer.ini").write_text(ini)
    for path in workdir.iterdir():
        os.chown(path, account.pw_uid, account.pw_gid)
    log = workdir / "stdout.log"
    with log.open("wb") as out:
        user = run_as if os.geteuid() == 0 else None
        proc = subprocess.Popen([binary, str(workdir / "pgbouncer.ini")], stdout=out, stderr=out, user=user)
    pooler = Pooler(f"postgresql://{client_user}@127.0.0.1:{port}/bo", port, workdir, proc)
    try:
        _wait_port(port, proc, log)
        yield pooler
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {START_TIMEOUT:.0f}s")


# --------------------------------------------------------------------------- Streamlit replicas


@dataclass
class Replica:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- start {self.starts}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_healthy(self) -> None:
        assert self.proc is not None
        wait_until_ok(f"{self.url}/_stcore/health", self.proc, self.log)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class Balancer:
    url: str
    proc: subprocess.Popen[bytes]
    config: Path
    log: Path


@contextmanager
def haproxy(workdir: Path, replicas: list[Replica]) -> Iterator[Balancer]:
    """HAProxy from ``deploy/haproxy.cfg.template`` with sticky sessions over ``replicas``."""
    binary = tool("haproxy")
    port = free_port()
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} check cookie {r.name}" for r in replicas)
    config = workdir / "haproxy.cfg"
    config.write_text(
        render(DEPLOY / "haproxy.cfg.template", {"BO_LB_BIND": f"127.0.0.1:{port}", "BO_LB_SERVERS": servers})
    )
    check = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    log = workdir / "haproxy.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
    balancer = Balancer(f"http://127.0.0.1:{port}", proc, config, log)
    try:
        wait_until_ok(f"{balancer.url}/_stcore/health", proc, log)
        yield balancer
    finally:
        stop(proc)


@dataclass
class Cluster:
    database_url: str  # direct, for setting up and checking
    pooler: Pooler
    replicas: list[Replica]
    balancer: Balancer
    cookie_key: str = field(repr=False, default="")

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)


def replica_env(pooler: Pooler, cookie_key: str, cookie_secret: str) -> dict[str, str]:
    """Production settings, the same on every replica (the point of the exercise)."""
    env = {
        **os.environ,
        "BO_DATABASE_URL": pooler.url,
        "BO_DB_PGBOUNCER": "1",
        "BO_COOKIE_KEY": cookie_key,
        "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
        "BO_BCRYPT_ROUNDS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BO_DEMO_MODE", None)
    return env


@contextmanager
def cluster(workdir: Path, database_url: str, replicas: int = 2) -> Iterator[Cluster]:
    """PgBouncer, ``replicas`` Streamlit processes and HAProxy, all torn down afterwards."""
    cookie_key, cookie_secret = secrets.token_urlsafe(48), secrets.token_urlsafe(48)  # strong by entropy
    with pgbouncer(database_url) as pooler:
        env = replica_env(pooler, cookie_key, cookie_secret)
        members = [
            Replica(f"app{i}", free_port(), env, workdir / f"app{i}.log") for i in range(1, replicas + 1)
        ]
        try:
            for member in members:
                member.start()
            for member in members:
                member.wait_healthy()
            with haproxy(workdir, members) as balancer:
                yield Cluster(database_url, pooler, members, balancer, cookie_key)
        finally:
            for member in members:
                member.stop()
