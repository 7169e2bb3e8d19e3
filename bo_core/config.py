"""Settings read from the environment (``BO_*``), with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

from bo_core.domain.confirmation import ConfirmThresholds, parse_thresholds
from bo_core.domain.errors import ConfigurationError
from bo_core.domain.permissions import Role, load_roles
from bo_core.domain.reasons import DEFAULT_REASONS, parse_reason_list
from bo_core.gateway.settings import GatewaySettings

DEFAULT_SQLITE_PATH = Path.home() / ".local" / "share" / "bo" / "bo.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative")
    return value


def _demo_mode() -> bool:
    return os.environ.get("BO_DEMO_MODE", "").lower() in {"1", "true", "yes"}


def _list_env(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _hours_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of hours, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigurationError(f"{name} must be a positive number of hours")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    roles: dict[str, Role] = field(repr=False)
    capture_window: timedelta = timedelta(days=30)
    demo_mode: bool = False
    # Authentication (see the reliability notes in docs/).
    lockout_attempts: int = 5  # PCI DSS 8.3.4: at most 10 attempts, locked for at least 30 minutes
    lockout_minutes: int = 30
    session_hours: int = 8  # absolute session lifetime
    session_idle_minutes: int = 15  # PCI DSS 8.2.8
    address_attempts: int = 50  # failed sign-ins per client address and lockout window
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed
    mfa_roles: tuple[str, ...] = ("admin",)  # roles that must sign in with a second factor
    allowed_origins: tuple[str, ...] = ()  # exact websocket origins; empty: same origin only
    allowed_hosts: tuple[str, ...] = ()  # Host header names; empty: any
    password_min_length: int = 12
    bcrypt_rounds: int = 12
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    # Four-eyes approval: an open request expires after this many hours.
    approval_hours: float = 48.0
    # Exports: built as temporary files here (empty: the system temp dir), at most
    # this many rows, deleted after download or after this many minutes.
    export_dir: str = ""
    export_max_rows: int = 1_000_000
    export_ttl_minutes: int = 30
    # The roles file read (None: the built-in roles), recorded as a ``roles_loaded`` event.
    roles_file: str | None = None
    # The operation dialog: a second confirmation above these amounts; refund/chargeback reasons.
    confirm_above: ConfirmThresholds = field(default_factory=lambda: parse_thresholds(None))
    operation_reasons: tuple[str, ...] = DEFAULT_REASONS

    @classmethod
    def from_env(cls) -> Settings:
        roles_file = os.environ.get("BO_ROLES_FILE")
        url = os.environ.get("BO_DATABASE_URL") or default_database_url()
        return cls(
            database_url=normalize_url(url),
            roles=load_roles(Path(roles_file) if roles_file else None),
            capture_window=timedelta(days=_int_env("BO_CAPTURE_WINDOW_DAYS", 30)),
            demo_mode=_demo_mode(),
            lockout_attempts=_int_env("BO_LOCKOUT_ATTEMPTS", 5),
            lockout_minutes=_int_env("BO_LOCKOUT_MINUTES", 30),
            session_hours=_int_env("BO_SESSION_HOURS", 8),
            session_idle_minutes=_int_env("BO_SESSION_IDLE_MINUTES", 15),
            address_attempts=_int_env("BO_ADDRESS_ATTEMPTS", 50),
            trusted_proxies=_list_env("BO_TRUSTED_PROXIES", ()),
            # Demo accounts have published passwords: no role needs MFA there unless configured.
            mfa_roles=_list_env("BO_MFA_ROLES", () if _demo_mode() else ("admin",)),
            allowed_origins=_list_env("BO_ALLOWED_ORIGINS", ()),
            allowed_hosts=_list_env("BO_ALLOWED_HOSTS", ()),
            password_min_length=_int_env("BO_PASSWORD_MIN_LENGTH", 12),
            bcrypt_rounds=min(max(_int_env("BO_BCRYPT_ROUNDS", 12), 4), 31),
            gateway=GatewaySettings.from_env(),
            approval_hours=_hours_env("BO_APPROVAL_HOURS", 48.0),
            export_dir=os.environ.get("BO_EXPORT_DIR", ""),
            export_max_rows=max(_int_env("BO_EXPORT_MAX_ROWS", 1_000_000), 1),
            export_ttl_minutes=max(_int_env("BO_EXPORT_TTL_MINUTES", 30), 1),
            roles_file=str(Path(roles_file).resolve()) if roles_file else None,
            confirm_above=parse_thresholds(os.environ.get("BO_CONFIRM_ABOVE")),
            operation_reasons=parse_reason_list(os.environ.get("BO_OPERATION_REASONS")),
        )

    def role(self, name: str) -> Role:
        try:
            return self.roles[name]
        except KeyError:
            raise ConfigurationError(f"role {name!r} is not configured") from None


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@cache
def get_settings() -> Settings:
    return Settings.from_env()
