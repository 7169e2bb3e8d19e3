"""Exact allowed origins and hosts for the websocket (cross-site websocket hijacking).

Streamlit itself accepts any port of localhost and of the server's own addresses as
an origin. bo accepts only:

- ``BO_ALLOWED_ORIGINS`` set: an ``Origin`` equal to one of its entries
  (``scheme://host[:port]``, exactly; no wildcards);
- unset: the same origin only, i.e. ``Origin`` equal to ``http(s)://<Host header>``
  including the port (so a page on another port of the same host is refused).

``BO_ALLOWED_HOSTS`` (host names, no ports), when set, also limits the ``Host``
header (DNS rebinding). A request without ``Origin`` is refused: browsers always
send it on websockets.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8501
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def setting_problems(origins: tuple[str, ...], hosts: tuple[str, ...]) -> list[str]:
    """Why the configured lists are unusable (checked at start)."""
    problems = []
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.netloc
            or "*" in origin
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
        ):
            problems.append(
                f"BO_ALLOWED_ORIGINS: {origin!r} is not an exact origin like https://bo.example.com"
            )
    for host in hosts:
        if not host or any(ch in host for ch in "*/:[] "):
            problems.append(f"BO_ALLOWED_HOSTS: {host!r} is not a plain host name like bo.example.com")
    return problems


def origin_allowed(
    origin: str | None, host: str | None, allowed_origins: tuple[str, ...], allowed_hosts: tuple[str, ...]
) -> bool:
    if not host or not origin:
        return False
    if allowed_hosts and _hostname(host) not in {h.strip().lower() for h in allowed_hosts}:
        return False
    origin = origin.strip().lower().rstrip("/")
    if allowed_origins:
        return origin in {o.strip().lower().rstrip("/") for o in allowed_origins}
    parts = urlsplit(origin)
    return parts.scheme in {"http", "https"} and parts.netloc == host.strip().lower()
