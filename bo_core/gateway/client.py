"""HTTP client of the gateway's server-to-server API (httpx).

Payment requests (``POST /v1/payments/{id}``) are sent once: a timeout, a
connection error, a 5xx, HTTP 429 or the codes ``900.100.300`` /
``800.600.100`` make the outcome *unknown*, never a reason to resend. Queries
(``GET /v3/query``) are safe to repeat: throttling there means back off and ask
again. The access token is sent in the ``Authorization`` header only and never
appears in a message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bo_core.domain.errors import BoError
from bo_core.gateway.settings import GatewaySettings

UNCERTAIN_CODES = {"900.100.300": "timeout, uncertain result", "800.600.100": "being processed already"}
THROTTLED = "800.120.100"
NOT_FOUND = "700.400.580"
QUERY_RETRIES = 5


class GatewayUnavailable(BoError):
    """The gateway could not be asked (down, throttling, refused credentials)."""

    result_code = "900.100.300"


@dataclass(frozen=True)
class Answer:
    """What came back for one payment request."""

    http_status: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    unknown: str | None = None
    """Why the outcome is unknown; ``None`` when the gateway gave a definite answer."""

    @property
    def result(self) -> dict[str, Any]:
        result = self.payload.get("result")
        return result if isinstance(result, dict) else {}

    @property
    def code(self) -> str | None:
        code = self.result.get("code")
        return code if isinstance(code, str) else None

    @property
    def description(self) -> str:
        return str(self.result.get("description") or "")[:255]

    @property
    def gateway_id(self) -> str | None:
        value = self.payload.get("id")
        return value.lower() if isinstance(value, str) and _is_hex32(value) else None


def _is_hex32(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdefABCDEF" for c in value)


class GatewayClient:
    def __init__(self, settings: GatewaySettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.Client(
            base_url=settings.url + "/",
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=httpx.Timeout(settings.timeout_seconds),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- payments -----------------------------------------------------------

    def send(self, reference_id: str, params: dict[str, str]) -> Answer:
        """``POST /v1/payments/{reference_id}`` once; see the module docstring."""
        try:
            response = self._http.post(f"v1/payments/{reference_id}", data=params)
        except httpx.TimeoutException:
            return Answer(None, unknown=f"no answer within {self.settings.timeout_seconds:g} s (timeout)")
        except httpx.TransportError as exc:
            return Answer(None, unknown=f"connection error ({type(exc).__name__})")
        payload = _json(response)
        status = response.status_code
        if status >= 500:
            return Answer(status, payload, unknown=f"gateway error HTTP {status}")
        if status == 429:
            return Answer(status, payload, unknown=f"throttled by the gateway (HTTP 429, {THROTTLED})")
        code = (payload.get("result") or {}).get("code") if isinstance(payload.get("result"), dict) else None
        if not isinstance(code, str):
            if status == 200:
                return Answer(status, payload, unknown="the gateway's answer carries no result code")
            code = {401: "800.900.300", 403: "800.900.301"}.get(status, "200.300.404")
            payload = {**payload, "result": {"code": code, "description": f"HTTP {status} from the gateway"}}
        if code in UNCERTAIN_CODES:
            return Answer(status, payload, unknown=f"{code} {UNCERTAIN_CODES[code]}")
        return Answer(status, payload)

    # --- queries ------------------------------------------------------------

    def query(self, path: str, params: dict[str, str | int]) -> tuple[int, dict[str, Any]]:
        """GET a query endpoint; (HTTP status, JSON). 404 is an answer, not an error."""
        delay = 0.2
        for attempt in range(QUERY_RETRIES + 1):
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as exc:
                if attempt == QUERY_RETRIES:
                    raise GatewayUnavailable(f"the gateway is unreachable ({type(exc).__name__})") from None
            else:
                status = response.status_code
                if status in (200, 400, 404):
                    return status, _json(response)
                if status in (401, 403):
                    raise GatewayUnavailable(
                        f"the gateway refused the query (HTTP {status}): check BO_GATEWAY_TOKEN and the "
                        f"entity {params.get('entityId')}"
                    )
                if attempt == QUERY_RETRIES:
                    raise GatewayUnavailable(f"the gateway answered HTTP {status} to a query")
            time.sleep(delay)  # throttled or failing: back off, then ask again
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    def by_id(self, entity: str, gateway_id: str) -> dict[str, Any] | None:
        status, data = self.query(f"v3/query/{gateway_id}", {"entityId": entity})
        return data if status == 200 and isinstance(data.get("id"), str) else None

    def by_merchant_transaction_id(self, entity: str, mtid: str) -> list[dict[str, Any]]:
        status, data = self.query("v3/query", {"entityId": entity, "merchantTransactionId": mtid})
        if status == 404:
            return []
        if status != 200:
            raise GatewayUnavailable(f"query by merchantTransactionId failed: {_code_text(data)}")
        payments = data.get("payments", data.get("records", []))
        return [p for p in payments if isinstance(p, dict)]

    def window(
        self, entity: str, date_from: str, date_to: str, page: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the transactions in [from, to]; (records, total pages)."""
        params: dict[str, str | int] = {
            "entityId": entity,
            "date.from": date_from,
            "date.to": date_to,
            "pageNo": page,
            "limit": limit,
        }
        status, data = self.query("v3/query", params)
        if status == 404:
            return [], 0
        if status != 200:
            raise GatewayUnavailable(f"query of the window failed: {_code_text(data)}")
        records = data.get("records", data.get("payments", []))
        try:
            pages = int(data.get("pages", 1))
        except (TypeError, ValueError):
            pages = 1
        return [r for r in records if isinstance(r, dict)], pages


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _code_text(data: dict[str, Any]) -> str:
    result = data.get("result")
    if not isinstance(result, dict):
        result = {}
    return f"{result.get('code', '?')} {str(result.get('description', ''))[:120]}"
