"""The sandbox's HTTP server: the API subset, admin endpoints, faults and webhooks.

API (Bearer token, ``entityId`` in every request):
  POST /v1/payments                initial PA or DB (form: entityId, amount, currency, paymentType, card.*)
  POST /v1/payments/{id}           CP, RV, RF, RB (CB and CR refused with 700.400.402)
  GET  /v3/query/{id}              one transaction (``includeLinkedTransactions=true``: the chain)
  GET  /v3/query?merchantTransactionId=...   every transaction with that reference
  GET  /v3/query?date.from=&date.to=&pageNo=&limit=   a window, paged (``pages``; limit capped)
Admin (no auth, for tests): ``/__sandbox/config``, ``/__sandbox/faults``, ``/__sandbox/payments``,
``/__sandbox/generate``, ``/__sandbox/chargeback``, ``/__sandbox/state``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bo_core.gateway.sandbox import faults as fl
from bo_core.gateway.sandbox.state import Ledger, Refusal, parse_amount, public, stamp
from bo_core.gateway.sandbox.webhooks import Notifier

PAGE_CAP = 100


class Sandbox:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.faults = fl.Faults()
        self.notifier = Notifier(lambda: self.ledger.config)

    def notify(self, tx: dict[str, Any], rule: fl.Rule | None = None) -> None:
        self.notifier.send(public(tx), rule)


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stderr
        return None

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose
            super().finish()

    # --- plumbing -----------------------------------------------------------

    def _send(self, status: int, body: dict[str, Any] | list[Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _result(self, status: int, code: str, description: str, **extra: Any) -> None:
        self._send(
            status,
            {
                "result": {"code": code, "description": description},
                **extra,
                "buildNumber": "sandbox",
                "timestamp": stamp(),
                "ndc": "sandbox",
            },
        )

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorized(self, entity: str | None) -> bool:
        cfg = self.server.sandbox.ledger.config
        token = cfg.get("token", "sandbox-token")
        if self.headers.get("Authorization") != f"Bearer {token}":
            self._result(401, "800.900.300", "invalid authentication information")
            return False
        allowed = cfg.get("entities")
        if not entity or (allowed and entity not in allowed):
            self._result(403, "800.900.301", "user not authorized to perform transaction on this entity")
            return False
        return True

    # --- routes -------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/__sandbox/state":
            return self._admin_state(query.get("referencedId"))
        if url.path == "/__sandbox/faults":
            return self._send(200, self.server.sandbox.faults.describe())
        if not url.path.startswith("/v3/query"):
            return self._result(404, "200.300.404", "unknown path")
        if not self._authorized(query.get("entityId")):
            return None
        rule = self.server.sandbox.faults.take("query")
        if rule is not None and rule.kind == "throttle":
            return self._result(429, "800.120.100", "Too many requests. Please try again later.")
        if rule is not None and rule.kind == "delay":
            time.sleep(rule.seconds)
        with self.server.sandbox.ledger.lock:
            return self._query(url.path, query)

    def _query(self, path: str, q: dict[str, str]) -> None:
        ledger = self.server.sandbox.ledger
        entity = q["entityId"]
        mine = [t for t in ledger.transactions.values() if t["authentication"]["entityId"] == entity]
        not_found = ("700.400.580", "cannot find transaction")
        if path.startswith("/v3/query/"):
            tx = ledger.transactions.get(path.removeprefix("/v3/query/"))
            if tx is None or tx["authentication"]["entityId"] != entity:
                return self._result(404, *not_found)
            if q.get("includeLinkedTransactions") == "true":
                root = tx
                while root.get("referencedId") in ledger.transactions:
                    root = ledger.transactions[root["referencedId"]]
                chain = [root, *self._descendants(root["id"])]
                return self._result(200, *self._ok(), payments=[public(t) for t in chain])
            return self._send(200, public(tx))
        if "merchantTransactionId" in q:
            found = [public(t) for t in mine if t.get("merchantTransactionId") == q["merchantTransactionId"]]
            if not found:
                return self._result(404, *not_found)
            return self._result(200, *self._ok(), payments=found)
        try:
            start = datetime.strptime(q["date.from"], "%Y-%m-%d %H:%M:%S")
            end = datetime.strptime(q["date.to"], "%Y-%m-%d %H:%M:%S")
            page = int(q.get("pageNo", "1"))
            limit = min(int(q.get("limit", str(PAGE_CAP))), PAGE_CAP)
            if page < 1 or limit < 1:
                raise ValueError
        except (KeyError, ValueError):
            return self._result(400, "200.300.404", "invalid or missing parameter")
        lo, hi = start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")
        window = sorted((t for t in mine if lo <= t["timestamp"][:19] <= hi), key=lambda t: t["timestamp"])
        if not window:
            return self._result(404, *not_found)
        pages = (len(window) + limit - 1) // limit
        records = [public(t) for t in window[(page - 1) * limit : page * limit]]
        return self._result(200, *self._ok(), records=records, pages=pages)

    @staticmethod
    def _ok() -> tuple[str, str]:
        return ("000.000.100", "successful request")

    def _descendants(self, tx_id: str) -> list[dict[str, Any]]:
        out = []
        for child in self.server.sandbox.ledger.children(tx_id):
            out += [child, *self._descendants(child["id"])]
        return out

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/__sandbox/"):
            return self._admin(url.path, json.loads(body or b"{}"))
        params = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not url.path.startswith("/v1/payments"):
            return self._result(404, "200.300.404", "unknown path")
        if not self._authorized(params.get("entityId")):
            return None
        ref_id = url.path.removeprefix("/v1/payments").strip("/")
        if not ref_id:
            return self._initial(params)
        return self._back_office(ref_id, params)

    def _initial(self, params: dict[str, str]) -> None:
        sandbox = self.server.sandbox
        currency = params.get("currency", "")
        try:
            minor = parse_amount(params.get("amount"), currency)
        except Exception:
            minor = None
        if params.get("paymentType") not in ("PA", "DB") or minor is None or minor <= 0:
            return self._result(400, "200.300.404", "invalid or missing parameter")
        with sandbox.ledger.lock:
            tx = sandbox.ledger.new(
                _initial_fields(params),
                minor,
                ("000.100.110", "Request successfully processed in 'Merchant in Integrator Test Mode'"),
            )
            sandbox.ledger.save()
        sandbox.notify(tx)
        self._send(200, public(tx))

    def _back_office(self, ref_id: str, params: dict[str, str]) -> None:
        sandbox = self.server.sandbox
        rule = sandbox.faults.take(params.get("paymentType", ""))
        kind = rule.kind if rule else None
        if kind == "delay" and rule:
            time.sleep(rule.seconds)
        if kind == "throttle":
            return self._result(429, "800.120.100", "Too many requests. Please try again later.")
        if kind == "error_before_booking":
            return self._result(503, "900.100.300", "timeout, uncertain result")
        if kind == "reset_before_booking":
            return self._reset()
        if kind == "uncertain" and rule and not rule.book:
            return self._result(200, "900.100.300", "timeout, uncertain result")
        with sandbox.ledger.lock:
            try:
                tx = sandbox.ledger.back_office(ref_id, params)
                status = 200
            except Refusal as refused:
                if not refused.booked:
                    extra = {"parameterErrors": refused.errors} if refused.errors else {}
                    return self._send(
                        400,
                        {
                            "result": {
                                "code": refused.code,
                                "description": "invalid or missing parameter",
                                **extra,
                            },
                            "timestamp": stamp(),
                        },
                    )
                tx = sandbox.ledger.refusal(ref_id, params, refused)
                status = 400
            sandbox.ledger.save()
        sandbox.notify(tx, rule)
        if kind == "timeout_after_booking" and rule:
            time.sleep(rule.seconds)
        elif kind == "error_after_booking":
            return self._result(500, "900.100.300", "internal error")
        elif kind == "reset_after_booking":
            return self._reset()
        elif kind == "uncertain":
            return self._send(
                200,
                {**public(tx), "result": {"code": "900.100.300", "description": "timeout, uncertain result"}},
            )
        self._send(status, public(tx))

    # --- admin --------------------------------------------------------------

    def _admin_state(self, referenced_id: str | None) -> None:
        """Every transaction (or the children of ``referencedId``) with its balances."""
        ledger = self.server.sandbox.ledger
        with ledger.lock:
            chosen = ledger.children(referenced_id) if referenced_id else list(ledger.transactions.values())
            txs = [{**public(t), "minor": t["_minor"], "balances": ledger.balances(t["id"])} for t in chosen]
        self._send(200, {"transactions": txs, "pending_webhooks": self.server.sandbox.notifier.in_flight})

    def _admin(self, path: str, data: dict[str, Any]) -> None:
        sandbox = self.server.sandbox
        ledger = sandbox.ledger
        if path == "/__sandbox/config":
            with ledger.lock:
                ledger.config.update(data)
                ledger.save()
            return self._send(
                200, {k: v for k, v in ledger.config.items() if k not in ("token", "webhook_secret")}
            )
        if path == "/__sandbox/faults":
            sandbox.faults.replace(data.get("faults", []))
            return self._send(200, sandbox.faults.describe())
        if path == "/__sandbox/payments":
            params = {k: str(v) for k, v in data.items()}
            minor = parse_amount(params.get("amount"), params.get("currency", "EUR"))
            if minor is None:
                return self._result(400, "200.300.404", "invalid amount")
            when = datetime.fromisoformat(params["timestamp"]) if "timestamp" in params else None
            with ledger.lock:
                tx = ledger.new(
                    _initial_fields(params),
                    minor,
                    (
                        params.get("code", "000.100.110"),
                        params.get(
                            "description",
                            "Request successfully processed in 'Merchant in Integrator Test Mode'",
                        ),
                    ),
                    when,
                )
                ledger.save()
            if data.get("notify", True):
                sandbox.notify(tx)
            return self._send(200, public(tx))
        if path == "/__sandbox/chargeback":
            with ledger.lock:
                parent = ledger.transactions[data["id"]]
                ptype = "CR" if parent["paymentType"] == "CB" else "CB"
                minor = parse_amount(data.get("amount"), parent["currency"]) or parent["_minor"]
                fields = Ledger._fields(
                    parent, {"entityId": parent["authentication"]["entityId"]}, ptype, parent["currency"]
                )
                tx = ledger.new(fields, minor, ("000.000.000", "Transaction succeeded"))
                ledger.save()
            sandbox.notify(tx)
            return self._send(200, public(tx))
        if path == "/__sandbox/settle":  # a pending transaction reaches its final state
            with ledger.lock:
                tx = ledger.transactions[data["id"]]
                tx["result"] = {"code": data["code"], "description": data.get("description", "settled")}
                ledger.save()
            sandbox.notify(tx)
            return self._send(200, public(tx))
        if path == "/__sandbox/generate":
            return self._send(200, _generate(ledger, data))
        return self._result(404, "200.300.404", "unknown admin path")


def _initial_fields(params: dict[str, str]) -> dict[str, Any]:
    return {
        "paymentType": params.get("paymentType"),
        "currency": params.get("currency"),
        "merchantTransactionId": params.get("merchantTransactionId"),
        "descriptor": params.get("descriptor"),
        "paymentBrand": params.get("paymentBrand", "VISA"),
        "card": {
            "bin": params.get("card.bin", "411111"),
            "last4Digits": params.get("card.last4Digits", "1111"),
            "holder": params.get("card.holder", "Jane Doe"),
        },
        "customer": {
            "givenName": params.get("customer.givenName", "Jane"),
            "surname": params.get("customer.surname", "Doe"),
            "email": params.get("customer.email", "jane@example.com"),
        },
        "billing": {"country": params.get("billing.country", "DE")},
        "authentication": {"entityId": params.get("entityId")},
    }


def _generate(ledger: Ledger, data: dict[str, Any]) -> dict[str, Any]:
    """``count`` transactions for ``entityId`` (DBs, PAs and their captures), one a second up to ``end``."""
    count, entity = int(data["count"]), str(data["entityId"])
    end = datetime.fromisoformat(data["end"]) if "end" in data else datetime.now(UTC)
    made: list[dict[str, Any]] = []
    with ledger.lock:
        moment = end - timedelta(seconds=count)
        while len(made) < count:
            i = len(made)
            moment += timedelta(seconds=1)
            params = {
                "paymentType": "PA" if i % 3 == 1 else "DB",
                "currency": "EUR",
                "entityId": entity,
                "merchantTransactionId": f"GEN-{entity[-6:]}-{i}",
                "card.last4Digits": f"{i % 10000:04d}",
            }
            tx = ledger.new(
                _initial_fields(params),
                1000 + i % 5000,
                ("000.100.110", "Request successfully processed in 'Merchant in Integrator Test Mode'"),
                moment,
            )
            made.append(tx)
            if i % 3 == 1 and len(made) < count:
                moment += timedelta(seconds=1)
                cp = Ledger._fields(
                    tx,
                    {"entityId": entity, "merchantTransactionId": f"GEN-{entity[-6:]}-{i}-CP"},
                    "CP",
                    "EUR",
                )
                made.append(
                    ledger.new(
                        cp,
                        tx["_minor"],
                        (
                            "000.100.110",
                            "Request successfully processed in 'Merchant in Integrator Test Mode'",
                        ),
                        moment,
                    )
                )
        ledger.save()
    return {"created": len(made), "from": made[0]["timestamp"], "to": made[-1]["timestamp"]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox


def make_server(host: str, port: int, state: Path | None, config: dict[str, Any]) -> _Server:
    ledger = Ledger.open(state)
    for key, value in config.items():
        if value is not None:
            ledger.config.setdefault(key, value)
    return _Server((host, port), Sandbox(ledger))


def serve(host: str, port: int, state: Path | None, config: dict[str, Any]) -> None:
    server = make_server(host, port, state, config)
    print(f"gateway sandbox listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.sandbox.notifier.stop()
