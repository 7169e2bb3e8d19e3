"""Run the installed `bo` console script against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bo_core.services.context import Context

BO = Path(sys.executable).parent / "bo"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Bo:
    url: str

    def __call__(self, *args: str, stdin: str | None = None) -> Run:
        env = {**os.environ, "BO_DATABASE_URL": self.url}
        env.pop("BO_DEBUG", None)
        proc = subprocess.run(
            [str(BO), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def bo(ctx: Context) -> Bo:
    """`bo` bound to the same (migrated) database as ``ctx``, on each backend."""
    assert BO.exists(), f"console script not installed at {BO}"
    return Bo(ctx.db.url)
