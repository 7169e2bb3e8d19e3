"""`bo search` finds as the dashboard does: the same service, the same rules."""

from __future__ import annotations

from datetime import timedelta

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx


def test_bo_search_finds_an_old_transaction_by_id_in_any_case_and_says_the_period_is_ignored(
    ctx: Context, bo: Bo
) -> None:
    old = add_tx(ctx, "CP", created_at=ctx.now() - timedelta(days=45), transaction_id="Shop-7A91-Capture")
    since = (ctx.now() - timedelta(days=30)).date().isoformat()
    run = bo("search", "--text", "shop-7a91-capture", "--from", since, "--json")
    assert run.code == 0, run.stderr
    assert [r["uuid"] for r in run.json] == [old]
    assert "ignored" in run.stderr


def test_bo_search_finds_by_surname_and_e_mail_domain(ctx: Context, bo: Bo) -> None:
    tx = add_tx(ctx, holder="Hans Weber", holder_lc="hans weber", customer_email="hans@gmx.de")
    for query in ("Weber", "@gmx.de", "gmx.de"):
        run = bo("search", "--text", query, "--json")
        assert run.code == 0, run.stderr
        assert [r["uuid"] for r in run.json] == [tx], query
