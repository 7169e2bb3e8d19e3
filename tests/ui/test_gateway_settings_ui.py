"""The dashboard stops with a message naming a missing or malformed gateway setting."""

from __future__ import annotations

import pytest

from bo_core.config import get_settings
from bo_core.services.context import Context
from tests.factories import add_tx, add_user
from tests.gateway_support import opp_env
from tests.ui.conftest import AppFactory


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BO_GATEWAY": "opp"}, "BO_GATEWAY_URL"),
        (
            {
                "BO_GATEWAY": "opp",
                "BO_GATEWAY_URL": "https://gw.example",
                "BO_GATEWAY_TOKEN": "t",
                "BO_GATEWAY_ENTITY_ID": "8a82",
                "BO_WEBHOOK_SECRET": "nothex",
            },
            "BO_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_bad_gateway_setting_stops_the_app_naming_it(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    at = app()
    assert not at.exception
    assert any(named in e.value for e in at.error)
    assert not at.text_input  # no sign-in form


def test_chargebacks_are_not_offered_in_gateway_mode(
    app: AppFactory, ui_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in opp_env("http://127.0.0.1:9").items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    manager = add_user(ui_ctx, "manager")
    db = add_tx(ui_ctx, "DB", 10_000)
    at = app(manager, page="pages/details.py", uuid=db)
    keys = {b.key for b in at.button}
    assert {"op_refund", "op_rebill"} <= keys
    assert "op_chargeback" not in keys
