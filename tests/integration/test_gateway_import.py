"""Importing through the query API (pages followed), on both backends, against the sandbox process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.gateway_import import import_window
from bo_core.services.search import SearchFilters, search_page
from bo_core.services.show import show_transaction
from tests.factories import row_counts
from tests.gateway_support import SandboxProcess, in_opp_mode


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=2), now + timedelta(minutes=1)


def entity() -> str:
    return uuid.uuid4().hex


def test_import_follows_pages_and_a_rerun_changes_nothing(ctx: Context, sandbox: SandboxProcess) -> None:
    own = entity()
    opp = in_opp_mode(ctx, sandbox.url, entity_id=own, default_merchant="acme")
    made = sandbox.admin("generate", {"count": 250, "entityId": own})["created"]
    first = import_window(opp, *window(), actor=SYSTEM)
    assert first.pages >= 3  # the sandbox caps a page at 100 records
    assert first.to_dict()["added"] == made and first.counts["skipped"] == 0
    counts = row_counts(opp)
    again = import_window(opp, *window(), actor=SYSTEM).to_dict()
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, made)
    assert row_counts(opp) == counts
    page = search_page(opp, SearchFilters(), page_size=5, actor=SYSTEM)
    assert {r.merchant for r in page.rows} == {"acme"} and {r.source for r in page.rows} == {"gateway"}


def test_a_pending_payment_is_updated_once_the_gateway_finalizes_it(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    own = entity()
    opp = in_opp_mode(ctx, sandbox.url, entity_id=own)
    pending = sandbox.payment("DB", "20.00", entity=own, code="000.200.000", description="pending")
    import_window(opp, *window(), actor=SYSTEM)
    assert show_transaction(opp, pending["id"], actor=SYSTEM).transaction.status == "pending"
    sandbox.admin("settle", {"id": pending["id"], "code": "000.000.000", "description": "ok"})
    report = import_window(opp, *window(), actor=SYSTEM).to_dict()
    assert (report["added"], report["updated"]) == (0, 1)
    assert show_transaction(opp, pending["id"], actor=SYSTEM).transaction.status == "success"


def test_mapped_entities_give_merchant_and_channel(ctx: Context, sandbox: SandboxProcess) -> None:
    default, nordwind, lumen = entity(), entity(), entity()
    opp = in_opp_mode(
        ctx,
        sandbox.url,
        entity_id=default,
        default_merchant="house",
        entities={"nordwind-apparel": nordwind, "lumen-streaming/subscriptions": lumen},
    )
    a = sandbox.payment("DB", "1.00", entity=default)
    b = sandbox.payment("DB", "2.00", entity=nordwind)
    c = sandbox.payment("DB", "3.00", entity=lumen)
    report = import_window(opp, *window(), actor=SYSTEM)
    assert report.entities == 3 and report.to_dict()["added"] == 3
    owners = {
        p["id"]: (
            show_transaction(opp, p["id"], actor=SYSTEM).transaction.merchant,
            show_transaction(opp, p["id"], actor=SYSTEM).transaction.channel,
        )
        for p in (a, b, c)
    }
    assert owners[a["id"]][0] == "house"
    assert owners[b["id"]][0] == "nordwind-apparel"
    assert owners[c["id"]] == ("lumen-streaming", "subscriptions")


def test_a_child_whose_parent_is_older_than_the_window_brings_its_parent(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    own = entity()
    opp = in_opp_mode(ctx, sandbox.url, entity_id=own)
    old = sandbox.payment(
        "DB", "50.00", entity=own, timestamp=(datetime.now(UTC) - timedelta(days=3)).isoformat()
    )
    sandbox.http.post(
        f"/v1/payments/{old['id']}",
        data={"entityId": own, "paymentType": "RF", "amount": "5.00", "currency": "EUR"},
        headers={"Authorization": "Bearer sandbox-test-token"},
    ).raise_for_status()
    report = import_window(opp, *window(), actor=SYSTEM).to_dict()
    assert report["added"] == 1 and report["skipped"] == 0
    assert show_transaction(opp, old["id"], actor=SYSTEM).balances["refunded"].to_str() == "5.00"
