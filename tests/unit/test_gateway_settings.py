"""BO_GATEWAY and the opp settings: parsed strictly, every problem names its setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bo_core.domain.errors import ConfigurationError
from bo_core.gateway.settings import GatewaySettings

SECRET = "ab" * 32
GOOD = {
    "BO_GATEWAY": "opp",
    "BO_GATEWAY_URL": "https://eu-test.oppwa.com/",
    "BO_GATEWAY_TOKEN": "OGE4Mjk0MTc0YjdlY2IyODAxNGI5Njk5MjIwMDE1Y2N8c3k2S0pzVDg=",
    "BO_GATEWAY_ENTITY_ID": "8a8294174b7ecb28014b9699220015ca",
    "BO_WEBHOOK_SECRET": SECRET,
}


def test_ledger_is_the_default_and_needs_no_gateway_settings() -> None:
    settings = GatewaySettings.from_env({})
    assert settings.mode == "ledger" and not settings.is_opp


def test_opp_settings_are_parsed_with_their_defaults() -> None:
    s = GatewaySettings.from_env(GOOD)
    assert s.is_opp and s.url == "https://eu-test.oppwa.com"  # trailing slash tolerated
    assert s.default_merchant == "default" and s.timeout_seconds == 30
    assert s.webhook_secret == bytes.fromhex(SECRET)
    assert s.entity_for("anyone") == GOOD["BO_GATEWAY_ENTITY_ID"]


def test_the_token_and_secret_never_appear_in_the_settings_repr() -> None:
    text = repr(GatewaySettings.from_env(GOOD))
    assert GOOD["BO_GATEWAY_TOKEN"] not in text and SECRET not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BO_GATEWAY", "stripe"),
        ("BO_GATEWAY_URL", ""),
        ("BO_GATEWAY_URL", "eu-test.oppwa.com"),
        ("BO_GATEWAY_URL", "ftp://eu-test.oppwa.com"),
        ("BO_GATEWAY_TOKEN", ""),
        ("BO_GATEWAY_TOKEN", "two words"),
        ("BO_GATEWAY_ENTITY_ID", ""),
        ("BO_GATEWAY_ENTITY_ID", "not-an-entity!"),
        ("BO_GATEWAY_TIMEOUT_SECONDS", "soon"),
        ("BO_GATEWAY_TIMEOUT_SECONDS", "-1"),
        ("BO_WEBHOOK_SECRET", ""),
        ("BO_WEBHOOK_SECRET", "ab" * 31),
        ("BO_WEBHOOK_SECRET", "zz" * 32),
        ("BO_GATEWAY_DEFAULT_MERCHANT", "a/b"),
        ("BO_GATEWAY_ENTITIES", "/nonexistent/entities.toml"),
    ],
)
def test_a_missing_or_malformed_setting_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings.from_env({**GOOD, name: value})
    assert name in caught.value.message
    assert GOOD["BO_GATEWAY_TOKEN"] not in caught.value.message


def test_entities_file_maps_merchants_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "entities.toml"
    path.write_text(
        '[entities]\n"nordwind-apparel" = "8a8294174b7ecb28014b9699220015ca"  # merchant\n'
        '"lumen-streaming/subscriptions" = "8a8294174b7ecb28014b9699220015cb"\n'
    )
    s = GatewaySettings.from_env(
        {**GOOD, "BO_GATEWAY_ENTITY_ID": "8a82941700000000000000000000000d", "BO_GATEWAY_ENTITIES": str(path)}
    )
    assert s.entity_for("nordwind-apparel", "web") == "8a8294174b7ecb28014b9699220015ca"
    assert s.entity_for("lumen-streaming", "subscriptions") == "8a8294174b7ecb28014b9699220015cb"
    assert s.entity_for("lumen-streaming", "web") == "8a82941700000000000000000000000d"
    assert s.owner_of("8a8294174b7ecb28014b9699220015cb") == ("lumen-streaming", "subscriptions")
    assert s.owner_of("8a82941700000000000000000000000d") == ("default", None)
    assert s.all_entities()[0] == "8a82941700000000000000000000000d" and len(s.all_entities()) == 3


@pytest.mark.parametrize(
    "content",
    [
        "not toml [",
        '[other]\na = "b"\n',
        '[entities]\n"a/b/c" = "8a82"\n',
        '[entities]\n"a" = 5\n',
        '[entities]\n"a" = "bad entity"\n',
    ],
)
def test_a_malformed_entities_file_is_refused_by_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "entities.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="BO_GATEWAY_ENTITIES"):
        GatewaySettings.from_env({**GOOD, "BO_GATEWAY_ENTITIES": str(path)})
