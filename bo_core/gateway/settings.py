"""Gateway settings from the environment; a bad value names its setting.

``BO_GATEWAY=ledger`` (default): bo is the system of record, nothing is sent.
``BO_GATEWAY=opp``: operations go to the gateway at ``BO_GATEWAY_URL``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bo_core.domain.errors import ConfigurationError

LEDGER, OPP = "ledger", "opp"
_ENTITY = re.compile(r"[0-9A-Za-z]{1,64}")
_SECRET = re.compile(r"[0-9a-fA-F]{64}")
_NAME = re.compile(r"[^/\s][^/]{0,63}")


@dataclass(frozen=True)
class GatewaySettings:
    mode: str = LEDGER
    url: str = ""
    token: str = field(default="", repr=False)
    entity_id: str = ""
    default_merchant: str = "default"
    entities: Mapping[str, str] = field(default_factory=dict)
    """``merchant`` or ``merchant/channel`` -> entity id."""
    timeout_seconds: float = 30.0
    webhook_secret: bytes = field(default=b"", repr=False)

    @property
    def is_opp(self) -> bool:
        return self.mode == OPP

    def entity_for(self, merchant: str, channel: str | None = None) -> str:
        """The entity a merchant's (and channel's) transactions belong to."""
        if channel is not None and f"{merchant}/{channel}" in self.entities:
            return self.entities[f"{merchant}/{channel}"]
        return self.entities.get(merchant, self.entity_id)

    def owner_of(self, entity_id: str) -> tuple[str, str | None]:
        """(merchant, channel or None) for transactions imported from ``entity_id``."""
        for key, value in self.entities.items():
            if value == entity_id:
                merchant, _, channel = key.partition("/")
                return merchant, channel or None
        return self.default_merchant, None

    def all_entities(self) -> list[str]:
        """Every configured entity, the default first, each once."""
        seen = [self.entity_id]
        for value in self.entities.values():
            if value not in seen:
                seen.append(value)
        return seen

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        mode = env.get("BO_GATEWAY", "").strip().lower() or LEDGER
        if mode not in (LEDGER, OPP):
            raise ConfigurationError(f"BO_GATEWAY must be 'ledger' or 'opp', got {mode[:20]!r}")
        if mode == LEDGER:
            return cls()
        return cls(
            mode=OPP,
            url=_url(_required(env, "BO_GATEWAY_URL")),
            token=_token(_required(env, "BO_GATEWAY_TOKEN")),
            entity_id=_entity("BO_GATEWAY_ENTITY_ID", _required(env, "BO_GATEWAY_ENTITY_ID")),
            default_merchant=_merchant(env.get("BO_GATEWAY_DEFAULT_MERCHANT", "").strip() or "default"),
            entities=_entities_file(env.get("BO_GATEWAY_ENTITIES", "").strip()),
            timeout_seconds=_timeout(env.get("BO_GATEWAY_TIMEOUT_SECONDS", "").strip() or "30"),
            webhook_secret=_secret(_required(env, "BO_WEBHOOK_SECRET")),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is required when BO_GATEWAY=opp")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            "BO_GATEWAY_URL must be an http(s) base URL without the API version, "
            "e.g. https://eu-test.oppwa.com"
        )
    return value.rstrip("/")


def _token(value: str) -> str:
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ConfigurationError("BO_GATEWAY_TOKEN must be one printable word (the Bearer access token)")
    return value


def _entity(name: str, value: str) -> str:
    if not _ENTITY.fullmatch(value):
        raise ConfigurationError(
            f"{name} must be a gateway entity id (letters and digits), got {value[:40]!r}"
        )
    return value


def _merchant(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ConfigurationError(
            "BO_GATEWAY_DEFAULT_MERCHANT must be a merchant name (1-64 characters, no '/')"
        )
    return value


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError(
            f"BO_GATEWAY_TIMEOUT_SECONDS must be a number of seconds, got {value[:20]!r}"
        ) from None
    if not 0 < seconds <= 600:
        raise ConfigurationError("BO_GATEWAY_TIMEOUT_SECONDS must be between 0 and 600 seconds")
    return seconds


def _secret(value: str) -> bytes:
    if not _SECRET.fullmatch(value):
        raise ConfigurationError("BO_WEBHOOK_SECRET must be 64 hexadecimal characters (a 32-byte key)")
    return bytes.fromhex(value)


def _entities_file(path: str) -> dict[str, str]:
    if not path:
        return {}
    name = "BO_GATEWAY_ENTITIES"
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{name}: cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{name}: {path} is not valid TOML: {exc}") from None
    table = data.get("entities")
    if set(data) != {"entities"} or not isinstance(table, dict):
        raise ConfigurationError(f"{name}: {path} must contain exactly one [entities] table")
    out: dict[str, str] = {}
    for key, value in table.items():
        merchant, slash, channel = key.partition("/")
        if not _NAME.fullmatch(merchant) or (slash and not _NAME.fullmatch(channel)):
            raise ConfigurationError(f'{name}: key {key[:80]!r} must be "merchant" or "merchant/channel"')
        if not isinstance(value, str):
            raise ConfigurationError(f"{name}: the entity of {key!r} must be a string")
        out[key] = _entity(f"{name}: entity of {key!r}", value)
    return out
