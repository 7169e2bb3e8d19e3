"""The layers of the tree, checked on the source: a crossed layer fails this test.

- ``bo_core.domain`` is pure: no SQLAlchemy, no Streamlit, no persistence or services;
- nothing in ``bo_core`` imports Streamlit, pandas or the ``bo_web`` glue;
- persistence (``bo_core.db``) does not call up into services;
- ``app.py`` and ``pages/`` import only ``bo_web`` and ``bo_core.services``
  (plus Streamlit, pandas and the standard library);
- nothing installed (``bo_core``, ``bo_web``) imports the developer tools (``bench``, ``tools``).

Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY_FOR_PAGES = {"streamlit", "pandas"}


def imported_modules(source: str) -> list[str]:
    """Every module named by an ``import`` or ``from ... import`` in ``source`` (relative ones resolved
    only by their dots, which the project does not use)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(module: str, source: str) -> list[str]:
    """The layer rules ``module`` (dotted name, or "app"/"pages.x") breaks with ``source``."""
    out: list[str] = []
    stdlib = __import__("sys").stdlib_module_names
    for name in imported_modules(source):
        top = name.split(".")[0]
        if _under(module, "bo_core.domain") and any(
            _under(name, bad)
            for bad in ("sqlalchemy", "streamlit", "bo_core.db", "bo_core.services", "bo_web", "pandas")
        ):
            out.append(f"{module} (pure domain) imports {name}")
        if _under(module, "bo_core") and any(
            _under(name, bad) for bad in ("streamlit", "streamlit_authenticator", "bo_web", "pandas")
        ):
            out.append(f"{module} (engine) imports {name}")
        if _under(module, "bo_core.db") and _under(name, "bo_core.services"):
            out.append(f"{module} (persistence) imports {name}")
        if (_under(module, "bo_core") or _under(module, "bo_web")) and top in {"bench", "tools", "tests"}:
            out.append(f"{module} (installed) imports the developer tool {name}")
        if module == "app" or _under(module, "pages"):
            allowed = (
                top in stdlib
                or top in THIRD_PARTY_FOR_PAGES
                or top == "__future__"
                or _under(name, "bo_web")
                or _under(name, "bo_core.services")
            )
            if not allowed:
                out.append(f"{module} (page) imports {name}; pages use bo_web and services only")
    return out


def project_modules() -> list[tuple[str, Path]]:
    files = [*ROOT.glob("bo_core/**/*.py"), *ROOT.glob("bo_web/**/*.py"), *ROOT.glob("pages/*.py")]
    files.append(ROOT / "app.py")
    out = []
    for path in files:
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append((".".join(parts), path))
    return sorted(out)


def test_the_tree_has_the_layers_the_contract_names() -> None:
    names = {m for m, _ in project_modules()}
    assert {"app", "pages.details", "bo_web.auth", "bo_core.domain.money", "bo_core.services.search"} <= names
    assert {"bo_core.db.search_plan", "bo_core.db.bulk"} <= names
    assert not (ROOT / "bo_core" / "web").exists()
    assert not (ROOT / "bo_core" / "reliability_report.py").exists()
    assert (ROOT / "tools" / "reliability_report.py").exists()


@pytest.mark.parametrize(("module", "path"), project_modules(), ids=lambda v: str(v).split("/")[-1])
def test_no_module_crosses_a_layer(module: str, path: Path) -> None:
    assert violations(module, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bo_core.domain.money", "import sqlalchemy"),
        ("bo_core.domain.money", "def f():\n    from streamlit import session_state\n"),
        ("bo_core.domain.fields", "from bo_core.db.models import TransactionRow"),
        ("bo_core.services.search", "import streamlit as st"),
        ("bo_core.services.show", "from bo_web import fmt"),
        ("bo_core.db.paging", "from bo_core.services.access import require"),
        ("bo_core.cli", "from bench import runner"),
        ("pages.details", "from bo_core.db.models import TransactionRow"),
        ("pages.details", "from bo_core.domain.types import Operation"),
        ("app", "import sqlalchemy"),
    ],
)
def test_the_checker_catches_a_crossed_layer(module: str, source: str) -> None:
    assert violations(module, source), f"{source!r} in {module} should break the contract"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("pages.details", "import pandas as pd\nimport streamlit as st\nfrom bo_web import fmt"),
        ("pages.users", "from bo_core.services import users\nfrom datetime import datetime"),
        ("bo_core.services.search", "from bo_core.db import search_plan\nfrom bo_core.domain import money"),
        ("bo_core.domain.money", "from babel.numbers import get_currency_precision"),
    ],
)
def test_the_checker_accepts_the_allowed_imports(module: str, source: str) -> None:
    assert violations(module, source) == []
