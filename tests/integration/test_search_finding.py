"""Finding a transaction on both backends: identifiers beyond the period, any-case and prefix
Transaction IDs, UUID prefixes, surnames and e-mail domains, each served by an index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.filters import is_identifier
from bo_core.services.context import Context
from bo_core.services.search import count_matches, parse_filters, search_page
from tests.factories import add_tx


@dataclass
class Data:
    old: str  # a capture 45 days old
    recent: str
    other: str
    old_txid: str


@pytest.fixture
def data(ctx: Context) -> Data:
    now = ctx.now()
    old = add_tx(
        ctx, "CP", 4200, "EUR", created_at=now - timedelta(days=45), transaction_id="Shop-7A91-Capture",
        holder="Greta van Dijk", holder_lc="greta van dijk", customer_email="greta.dijk@ziggo.nl",
    )  # fmt: skip
    recent = add_tx(
        ctx, "DB", 1000, "EUR", created_at=now - timedelta(days=2), transaction_id="SHOP-7B02",
        holder="Hans Weber", holder_lc="hans weber", customer_email="hans.weber@gmx.de",
    )  # fmt: skip
    other = add_tx(
        ctx, "DB", 1000, "EUR", created_at=now - timedelta(days=1), transaction_id="ACME-1",
        holder="Weberin Lotte", holder_lc="weberin lotte", customer_email="lotte@web.de",
    )  # fmt: skip
    return Data(old, recent, other, "Shop-7A91-Capture")


def found(ctx: Context, **kwargs: object) -> set[str]:
    return {r.uuid for r in search_page(ctx, parse_filters(**kwargs), page_size=500, actor=SYSTEM).rows}  # type: ignore[arg-type]


def last_30_days(ctx: Context) -> dict[str, object]:
    return {"date_from": (ctx.now() - timedelta(days=30)).isoformat()}


@pytest.mark.parametrize("spelling", ["exact", "lower", "upper"])
def test_a_transaction_id_finds_its_transaction_older_than_the_period_in_any_case(
    ctx: Context, data: Data, spelling: str
) -> None:
    txid = {"exact": data.old_txid, "lower": data.old_txid.lower(), "upper": data.old_txid.upper()}[spelling]
    filters = parse_filters(text=txid, **last_30_days(ctx))  # type: ignore[arg-type]
    assert filters.period_ignored and filters.date_from is None
    assert {r.uuid for r in search_page(ctx, filters, actor=SYSTEM).rows} == {data.old}
    assert count_matches(ctx, filters, actor=SYSTEM).value == 1


def test_a_uuid_with_dashes_and_capitals_finds_its_transaction_whatever_the_period(
    ctx: Context, data: Data
) -> None:
    u = data.old
    dashed = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}".upper()
    assert found(ctx, text=dashed, date_from="2000-01-01", date_to=ctx.now().date().isoformat()) == {u}


def test_a_prefix_of_a_transaction_id_or_uuid_finds_the_transactions_starting_so(
    ctx: Context, data: Data
) -> None:
    assert found(ctx, text="shop-7") == {data.old, data.recent}
    assert found(ctx, text="SHOP-7A") == {data.old}
    assert found(ctx, text=data.old[:8].upper()) == {data.old}
    assert found(ctx, text="7A91") == set()  # 4 digits/letters inside an ID: not a prefix


def test_a_surname_alone_finds_the_holder(ctx: Context, data: Data) -> None:
    assert found(ctx, text="Weber") == {data.recent, data.other}  # "Weberin" starts with it too
    assert found(ctx, text="weber") == {data.recent, data.other}
    assert found(ctx, text="van dijk") == set()  # a surname lookup is one word; "greta van" is a name
    assert found(ctx, text="van") == {data.old}
    assert found(ctx, text="Greta van") == {data.old}


@pytest.mark.parametrize(
    ("query", "expected"), [("@gmx.de", "recent"), ("gmx.de", "recent"), ("@web", "other")]
)
def test_an_e_mail_domain_finds_its_customers(ctx: Context, data: Data, query: str, expected: str) -> None:
    assert found(ctx, text=query) == {getattr(data, expected)}


def test_the_period_still_narrows_a_search_that_is_not_an_identifier(ctx: Context, data: Data) -> None:
    filters = parse_filters(text="van", **last_30_days(ctx))  # type: ignore[arg-type]
    assert not filters.period_ignored and filters.date_from is not None
    assert {r.uuid for r in search_page(ctx, filters, actor=SYSTEM).rows} == set()
    assert found(ctx, text="weber", **last_30_days(ctx)) == {data.recent, data.other}


@pytest.mark.parametrize(
    ("value", "identifier"),
    [
        ("0123456789abcdef0123456789ABCDEF", True),
        ("01234567-89ab-cdef-0123-456789abcdef", True),
        ("ORD-12345", True),
        ("3f2a9c", True),
        ("1111", False),  # last 4 card digits
        ("anna@example.com", False),
        ("Anna Smith", False),
        ("gmail.com", False),
        ("", False),
    ],
)
def test_what_counts_as_an_identifier(value: str, identifier: bool) -> None:
    assert is_identifier(value) is identifier


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("shop-7a", "ix_tx_txid_lc"),
        ("@gmx.de", "ix_tx_email_domain"),
        ("weber", "ix_tx_holder_surname"),
        ("5f0e1d2c", "ix_tx_uuid_c"),
    ],
)
def test_each_finding_rule_is_served_by_its_index(ctx: Context, data: Data, query: str, index: str) -> None:
    from bo_core.db import search_plan
    from bo_core.services.search import ROW_COLUMNS

    with ctx.db.engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "sqlite" and index == "ix_tx_uuid_c":
            index = "sqlite_autoindex_transactions"  # the unique index on uuid serves prefixes
        stmt = search_plan.ordered(conn, parse_filters(text=query), ROW_COLUMNS).limit(51)
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
        if dialect == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {compiled}")))
        else:
            plan = "\n".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert index in plan, plan
