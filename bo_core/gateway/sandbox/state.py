"""The sandbox's own ledger: transactions, balances and the platform's refusals."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bo_core.domain.money import exponent

TEST_SUCCESS = ("000.100.110", "Request successfully processed in 'Merchant in Integrator Test Mode'")
REFUSALS = {
    "200.300.404": "invalid or missing parameter",
    "700.100.100": "reference id not existing",
    "700.100.500": "currency of the referenced transaction does not match",
    "700.300.300": "referenced tx has already been processed",
    "700.300.600": "referenced tx has been charged back",
    "700.400.100": "cannot capture (PA value exceeded, PA reverted or invalid workflow?)",
    "700.400.200": "cannot refund (refund volume exceeded or tx reversed or invalid workflow?)",
    "700.400.300": "cannot reverse (already refunded|reversed, invalid workflow or amount exceeded)",
    "700.400.402": "chargeback can only be generated internally by the payment system",
    "700.400.580": "cannot find transaction",
    "800.130.100": "Transaction declined (duplicate transaction)",
}
MONEY_IN = {"CP", "DB", "RB", "CR"}
_CODE_OK = re.compile(r"^(000\.000\.|000\.100\.1|000\.[36])")
_CODE_PENDING = re.compile(r"^(000\.200|800\.400\.5|100\.400\.500)")


def is_success(code: str) -> bool:
    return bool(_CODE_OK.match(code))


def counts(code: str) -> bool:
    """Successful and pending transactions hold money; rejected ones do not."""
    return bool(_CODE_OK.match(code) or _CODE_PENDING.match(code))


def stamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def amount_text(minor: int, currency: str) -> str:
    exp = exponent(currency)
    return str(minor) if exp == 0 else f"{minor // 10**exp}.{minor % 10**exp:0{exp}d}"


def parse_amount(text: str | None, currency: str) -> int | None:
    """Minor units of an amount with exactly the currency's digits, or None."""
    exp = exponent(currency)
    pattern = r"\d{1,12}" if exp == 0 else rf"\d{{1,12}}\.\d{{{exp}}}"
    if text is None or not re.fullmatch(pattern, text):
        return None
    return int(text.replace(".", ""))


class Refusal(Exception):
    def __init__(self, code: str, booked: bool = True, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(code)
        self.code, self.booked, self.errors = code, booked, errors or []


@dataclass
class Ledger:
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    by_parent: dict[str, list[str]] = field(default_factory=dict)
    """Children's ids per referenced id (balances stay cheap with many transactions)."""

    # --- persistence ------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None) -> Ledger:
        ledger = cls(path=path)
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            ledger.transactions = {t["id"]: t for t in data.get("transactions", [])}
            ledger.config = data.get("config", {})
            for tx in ledger.transactions.values():
                ledger._link(tx)
        return ledger

    def save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        data = {"config": self.config, "transactions": list(self.transactions.values())}
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path)

    # --- reading ------------------------------------------------------------

    def children(self, tx_id: str) -> list[dict[str, Any]]:
        return [self.transactions[i] for i in self.by_parent.get(tx_id, [])]

    def _link(self, tx: dict[str, Any]) -> None:
        if tx.get("referencedId"):
            self.by_parent.setdefault(tx["referencedId"], []).append(tx["id"])

    def balances(self, tx_id: str) -> dict[str, int]:
        """Minor units per child type (counting successful and pending children)."""
        out = {k: 0 for k in ("CP", "RV", "RF", "RB", "CB", "CR")}
        for child in self.children(tx_id):
            if counts(child["result"]["code"]) and child["paymentType"] in out:
                out[child["paymentType"]] += child["_minor"]
                if child["paymentType"] == "CB":
                    out["CR"] += sum(
                        c["_minor"] for c in self.children(child["id"]) if counts(c["result"]["code"])
                    )
        return out

    def net_money(self) -> int:
        """Money in minus money out over every successful transaction (all currencies mixed)."""
        total = 0
        for t in self.transactions.values():
            if is_success(t["result"]["code"]):
                sign = 1 if t["paymentType"] in MONEY_IN else -1 if t["paymentType"] in {"RF", "CB"} else 0
                total += sign * t["_minor"]
        return total

    # --- writing ------------------------------------------------------------

    def new(
        self, fields: dict[str, Any], minor: int, code: tuple[str, str], when: datetime | None = None
    ) -> dict[str, Any]:
        tx = {
            "id": uuid.uuid4().hex,
            **{k: v for k, v in fields.items() if v not in (None, "")},
            "amount": amount_text(minor, fields["currency"]),
            "_minor": minor,
            "result": {"code": code[0], "description": code[1]},
            "timestamp": stamp(when),
            "ndc": uuid.uuid4().hex[:32],
            "buildNumber": "sandbox",
        }
        self.transactions[tx["id"]] = tx
        self._link(tx)
        return tx

    def back_office(self, ref_id: str, params: dict[str, str]) -> dict[str, Any]:
        """Apply ``POST /v1/payments/{ref_id}``; the new transaction (rejected ones raise ``Refusal``)."""
        ptype = params.get("paymentType", "")
        if ptype in ("CB", "CR"):
            raise Refusal("700.400.402")
        if ptype not in ("CP", "RV", "RF", "RB"):
            raise Refusal("200.300.404", False, [_perr("paymentType", ptype, "must be CP, RV, RF or RB")])
        parent = self.transactions.get(ref_id)
        if parent is None or parent.get("authentication", {}).get("entityId") != params.get("entityId"):
            raise Refusal("700.100.100")
        currency = params.get("currency") or parent["currency"]
        if currency != parent["currency"]:
            raise Refusal("700.100.500")
        b = self.balances(ref_id)
        if ptype == "RV" and not params.get("amount"):
            minor = parent["_minor"] - b["CP"] - b["RV"]
        else:
            parsed = parse_amount(params.get("amount"), currency)
            if parsed is None or parsed <= 0:
                raise Refusal("200.300.404", False, [_perr("amount", params.get("amount"), "invalid amount")])
            minor = parsed
        mtid = params.get("merchantTransactionId")
        if mtid and any(
            t.get("merchantTransactionId") == mtid
            and t["authentication"]["entityId"] == params.get("entityId")
            and counts(t["result"]["code"])
            for t in self.transactions.values()
        ):
            raise Refusal("800.130.100")
        self._check(parent, ptype, minor, b)
        return self.new(self._fields(parent, params, ptype, currency), minor, TEST_SUCCESS)

    def _check(self, parent: dict[str, Any], ptype: str, minor: int, b: dict[str, int]) -> None:
        ok = is_success(parent["result"]["code"])
        kind = parent["paymentType"]
        if ptype == "CP":
            if kind != "PA" or not ok or b["RV"] or minor > parent["_minor"] - b["CP"]:
                raise Refusal("700.400.100")
        elif ptype == "RV":
            if kind != "PA" or not ok or b["CP"] or minor <= 0:
                raise Refusal("700.400.300")
            if b["RV"]:
                raise Refusal("700.300.300")
        elif ptype == "RF":
            if kind not in ("CP", "DB", "RB") or not ok:
                raise Refusal("700.400.200")
            if b["CB"] - b["CR"] > 0:
                raise Refusal("700.300.600")
            if minor > parent["_minor"] - b["RF"]:
                raise Refusal("700.400.200")
        elif ptype == "RB" and (kind != "DB" or not ok):
            raise Refusal("700.100.100")

    def refusal(self, ref_id: str, params: dict[str, str], refused: Refusal) -> dict[str, Any]:
        """The rejected transaction a business refusal leaves at the gateway."""
        parent = self.transactions.get(ref_id, {})
        currency = params.get("currency") or parent.get("currency") or "EUR"
        minor = parse_amount(params.get("amount"), currency) or 0
        fields = self._fields(parent, params, params.get("paymentType", ""), currency)
        if parent:
            fields["referencedId"] = ref_id
        return self.new(fields, minor, (refused.code, REFUSALS.get(refused.code, "refused")))

    @staticmethod
    def _fields(parent: dict[str, Any], params: dict[str, str], ptype: str, currency: str) -> dict[str, Any]:
        return {
            "paymentType": ptype,
            "referencedId": parent.get("id"),
            "currency": currency,
            "descriptor": params.get("descriptor"),
            "merchantTransactionId": params.get("merchantTransactionId"),
            "paymentBrand": parent.get("paymentBrand"),
            "card": parent.get("card"),
            "customer": parent.get("customer"),
            "billing": parent.get("billing"),
            "authentication": {"entityId": params.get("entityId")},
        }


def _perr(name: str, value: object, message: str) -> dict[str, str]:
    return {"name": name, "value": str(value or ""), "message": message}


def public(tx: dict[str, Any]) -> dict[str, Any]:
    """A transaction as the API shows it (no internal fields)."""
    return {k: v for k, v in tx.items() if not k.startswith("_")}
