"""Transaction search on both backends: filters, free text, paging, counting, export, access."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, PermissionDenied
from bo_core.domain.money import Money
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.search import (
    CSV_HEADER,
    CountResult,
    SearchFilters,
    count_matches,
    export_csv,
    filter_options,
    parse_filters,
    search_page,
)
from tests.factories import add_tx, add_user

PENDING = "000.200.000"
REJECTED = "800.100.152"
HEX_TXID = "0123456789abcdef0123456789abcdef"


@dataclass
class World:
    a: str
    b: str
    c: str
    d: str
    e: str
    f: str
    g: str

    @property
    def all(self) -> set[str]:
        return {self.a, self.b, self.c, self.d, self.e, self.f, self.g}


@pytest.fixture
def world(ctx: Context) -> World:
    now = ctx.now()
    a = add_tx(
        ctx, "DB", 1000, "EUR", created_at=now - timedelta(hours=1), transaction_id="ORD-A",
        last4="1111", holder="Anna Smith", holder_lc="anna smith", customer_email="anna@example.com",
    )  # fmt: skip
    b = add_tx(
        ctx, "PA", 25_000, "USD", merchant="beta-store", created_at=now - timedelta(days=2),
        transaction_id="PAY-B", brand="MASTER", last4="2222", holder="Ben Müller", holder_lc="ben müller",
        customer_email="ben.mueller@example.org",
    )  # fmt: skip
    c = add_tx(
        ctx, "DB", 1500, "JPY", REJECTED, created_at=now - timedelta(days=10),
        transaction_id="PAY-C", payment_method="VA", brand="PAYPAL", customer_email="carla@shop.jp",
    )  # fmt: skip
    d = add_tx(
        ctx,
        "RF",
        500,
        "EUR",
        PENDING,
        parent=a,
        created_at=now - timedelta(minutes=30),
        transaction_id="RF-D",
    )
    e = add_tx(
        ctx, "DB", 1250, "BHD", merchant="beta-store", created_at=now - timedelta(days=40),
        transaction_id="1234", last4="9999",
    )  # fmt: skip
    f = add_tx(
        ctx, "DB", 9999, "EUR", created_at=now - timedelta(days=3), transaction_id="=SUM(A1)",
        holder='Zoë "Z" O\'Brien, Ünal', holder_lc='zoë "z" o\'brien, ünal', customer_email="zoe@example.com",
    )  # fmt: skip
    g = add_tx(ctx, "DB", 700, "GBP", created_at=now - timedelta(days=5), transaction_id=HEX_TXID)
    return World(a, b, c, d, e, f, g)


def found(ctx: Context, **kwargs: object) -> list[str]:
    page = search_page(ctx, parse_filters(**kwargs), page_size=500, actor=SYSTEM)  # type: ignore[arg-type]
    assert not page.has_next
    return [r.uuid for r in page.rows]


def test_no_filter_lists_everything_newest_first(ctx: Context, world: World) -> None:
    w = world
    assert found(ctx) == [w.d, w.a, w.b, w.f, w.g, w.c, w.e]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"types": ["RF"]}, "d"),
        ({"types": ["PA", "RF"]}, "bd"),
        ({"statuses": ["rejected"]}, "c"),
        ({"statuses": ["pending", "rejected"]}, "cd"),
        ({"merchant": "beta-store"}, "be"),
        ({"currency": "EUR"}, "adf"),
        ({"brand": "MASTER"}, "b"),
        ({"brand": "VA"}, "c"),  # payment method
        ({"brand": "PAYPAL"}, "c"),
        ({"min_amount": "10", "max_amount": "100"}, "af"),  # per currency: EUR 10.00..100.00
        ({"min_amount": "1.25", "max_amount": "1.25"}, "e"),  # only BHD has 1.250
        ({"min_amount": "0", "max_amount": "1500", "currency": "JPY"}, "c"),
        ({"min_amount": "99.99"}, "bcf"),
        ({"max_amount": "7"}, "deg"),
        ({"date_from": "2026-10-29"}, "abdf"),
        ({"date_to": "2026-10-29T12:00:00Z"}, "ceg"),  # To is exclusive
        ({"merchant": "acme-shop", "statuses": ["success"], "currency": "EUR"}, "af"),
        ({"merchant": "acme-shop", "currency": "EUR", "date_from": "2026-11-01T10:30:00"}, "ad"),
        ({"types": ["DB"], "brand": "VISA", "min_amount": "5", "date_to": "2026-11-01"}, "fg"),
        ({"merchant": "nobody"}, ""),
        ({"brand": "NOPE"}, ""),
    ],
)
def test_each_filter_alone_and_combined(
    ctx: Context, world: World, kwargs: dict[str, object], expected: str
) -> None:
    want = {getattr(world, letter) for letter in expected}
    assert set(found(ctx, **kwargs)) == want


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORD-A", "a"),  # exact Transaction ID
        ("1111", "a"),  # last 4
        ("1234", "e"),  # 4 digits that are a Transaction ID
        ("anna@", "a"),  # email prefix
        ("BEN.MU", "b"),  # email prefix, any case
        ("Anna Sm", "a"),  # holder prefix
        ('zoë "z', "f"),  # holder prefix with quotes and accents
        ("=SUM(A1)", "f"),
        (HEX_TXID, "g"),  # 32 hex that is a Transaction ID
        ("ord-a", "a"),  # Transaction IDs in any case
        ("example.com", "af"),  # an e-mail domain
        ("Smith", "a"),  # a surname alone
        ("xample.com", ""),  # domains and surnames match from their start only
        ("mith", ""),
    ],
)
def test_free_text_by_shape(ctx: Context, world: World, text: str, expected: str) -> None:
    assert set(found(ctx, text=text)) == {getattr(world, letter) for letter in expected}


def test_brand_matches_both_columns_when_both_hold_the_value(ctx: Context) -> None:
    as_method = add_tx(ctx, payment_method="DD", brand="SEPA")
    as_brand = add_tx(ctx, payment_method="CC", brand="DD")
    add_tx(ctx, payment_method="CC", brand="VISA")
    assert set(found(ctx, brand="DD")) == {as_method, as_brand}


def test_free_text_finds_uuid_with_dashes_and_capitals(ctx: Context, world: World) -> None:
    u = world.c
    dashed = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}".upper()
    assert found(ctx, text=dashed) == [u]
    assert found(ctx, text=u, statuses=["success"]) == []


def test_rows_carry_the_summary_fields(ctx: Context, world: World) -> None:
    (row,) = search_page(ctx, parse_filters(text=world.e), actor=SYSTEM).rows
    assert (row.amount, row.amount_minor, row.currency, row.transaction_id) == (
        Money(1250, "BHD"),
        1250,
        "BHD",
        "1234",
    )
    assert (row.type, row.status, row.merchant, row.last4, row.source) == (
        "DB",
        "success",
        "beta-store",
        "9999",
        "gateway",
    )
    assert row.created_at == ctx.now() - timedelta(days=40)
    (refund,) = search_page(ctx, parse_filters(types=["RF"]), actor=SYSTEM).rows
    assert (refund.parent_uuid, refund.amount, refund.status) == (world.a, Money(500, "EUR"), "pending")


def _many(ctx: Context, n_same: int = 23, n_spread: int = 8) -> list[str]:
    """Rows sharing one timestamp (ties broken by id) plus rows spread in time."""
    moment = ctx.now() - timedelta(days=1)
    uuids = [add_tx(ctx, created_at=moment, transaction_id=f"T-{i}") for i in range(n_same)]
    uuids += [add_tx(ctx, created_at=moment + timedelta(seconds=i - 4)) for i in range(n_spread)]
    return uuids


def test_offset_and_keyset_pages_agree_without_gaps_or_duplicates(ctx: Context) -> None:
    made = _many(ctx)
    filters = SearchFilters()
    by_offset: list[str] = []
    page_no = 1
    while True:
        page = search_page(ctx, filters, page=page_no, page_size=5, actor=SYSTEM)
        by_offset += [r.uuid for r in page.rows]
        if not page.has_next:
            assert page.next_cursor is None
            break
        page_no += 1
    by_keyset: list[str] = []
    cursor = None
    while True:
        page = search_page(ctx, filters, page_size=5, after=cursor, actor=SYSTEM)
        by_keyset += [r.uuid for r in page.rows]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert by_offset == by_keyset
    assert sorted(by_offset) == sorted(made) and len(set(by_offset)) == len(made)
    assert page_no == 7  # 31 rows in pages of 5
    everything = search_page(ctx, filters, page_size=500, actor=SYSTEM).rows
    assert [r.uuid for r in everything] == by_offset
    keys = [(r.created_at, r.uuid) for r in everything]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def test_page_exactly_full_has_no_next(ctx: Context) -> None:
    _many(ctx, n_same=3, n_spread=2)
    page = search_page(ctx, SearchFilters(), page_size=5, actor=SYSTEM)
    assert len(page.rows) == 5 and not page.has_next and page.next_cursor is None
    first = search_page(ctx, SearchFilters(), page_size=4, actor=SYSTEM)
    rest = search_page(ctx, SearchFilters(), page_size=4, after=first.next_cursor, actor=SYSTEM)
    assert first.has_next and len(rest.rows) == 1 and not rest.has_next


@pytest.mark.parametrize("size", [0, 501, -1])
def test_page_size_out_of_range_is_refused(ctx: Context, size: int) -> None:
    with pytest.raises(InputError, match="Page size"):
        search_page(ctx, SearchFilters(), page_size=size, actor=SYSTEM)


def test_bad_cursor_and_page_are_refused(ctx: Context) -> None:
    with pytest.raises(InputError, match="Cursor"):
        search_page(ctx, SearchFilters(), after="garbage", actor=SYSTEM)
    for page in (0, -1, 10**30):
        with pytest.raises(InputError, match="Page"):
            search_page(ctx, SearchFilters(), page=page, actor=SYSTEM)


def test_count_is_exact_below_the_cap_and_capped_above(ctx: Context, world: World) -> None:
    assert count_matches(ctx, SearchFilters(), actor=SYSTEM) == CountResult(7, capped=False)
    assert count_matches(ctx, SearchFilters(), cap=3, actor=SYSTEM) == CountResult(3, capped=True)
    assert count_matches(ctx, SearchFilters(), cap=7, actor=SYSTEM).capped is False
    assert count_matches(ctx, SearchFilters(), cap=None, actor=SYSTEM).value == 7
    assert count_matches(ctx, parse_filters(currency="EUR"), actor=SYSTEM).value == 3
    assert count_matches(ctx, parse_filters(text="nobody@x"), actor=SYSTEM).value == 0
    with pytest.raises(InputError):
        count_matches(ctx, SearchFilters(), cap=0, actor=SYSTEM)


def test_csv_export_streams_every_match_with_header_escaping_and_utf8(
    ctx: Context, world: World, tmp_path: Path
) -> None:
    _many(ctx, n_same=9, n_spread=3)
    seen: list[int] = []
    target = tmp_path / "export.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        written = export_csv(ctx, SearchFilters(), out, progress=seen.append, batch=4, actor=SYSTEM)
    assert written == 19
    assert seen == [4, 8, 12, 16, 19]
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == CSV_HEADER
    assert len(rows) == 19 and len({r["uuid"] for r in rows}) == 19
    shown = [r.uuid for r in search_page(ctx, SearchFilters(), page_size=500, actor=SYSTEM).rows]
    assert [r["uuid"] for r in rows] == shown
    zoe = next(r for r in rows if r["uuid"] == world.f)
    assert zoe["holder"] == 'Zoë "Z" O\'Brien, Ünal'
    assert zoe["transaction_id"] == "'=SUM(A1)"  # a formula is never live in a spreadsheet
    assert zoe["amount"] == "99.99" and zoe["created_at"].startswith("2026-10-29T12:00:00")
    assert "Zoë".encode() in target.read_bytes()


def test_csv_export_of_a_filter_writes_only_matches(ctx: Context, world: World) -> None:
    out = io.StringIO()
    assert export_csv(ctx, parse_filters(merchant="beta-store"), out, actor=SYSTEM) == 2
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(CSV_HEADER) and len(lines) == 3
    empty = io.StringIO()
    assert export_csv(ctx, parse_filters(merchant="nobody"), empty, actor=SYSTEM) == 0
    assert empty.getvalue().splitlines() == [",".join(CSV_HEADER)]


def test_filter_options_list_distinct_values(ctx: Context, world: World) -> None:
    options = filter_options(ctx, actor=SYSTEM)
    assert options.merchants == ["acme-shop", "beta-store"]
    assert options.currencies == ["BHD", "EUR", "GBP", "JPY", "USD"]
    assert options.brands == ["CC", "MASTER", "PAYPAL", "VA", "VISA"]


def test_filter_options_of_an_empty_database_are_empty(ctx: Context) -> None:
    options = filter_options(ctx, actor=SYSTEM)
    assert (options.merchants, options.currencies, options.brands) == ([], [], [])


def test_viewer_may_search_but_disabled_and_unknown_users_are_refused(ctx: Context, world: World) -> None:
    viewer = add_user(ctx, "viewer")
    assert len(search_page(ctx, SearchFilters(), actor=viewer).rows) == 7
    assert count_matches(ctx, SearchFilters(), actor=viewer).value == 7
    assert export_csv(ctx, SearchFilters(), io.StringIO(), actor=viewer) == 7
    users.disable_user(ctx, viewer, actor=SYSTEM)
    for actor in (viewer, "nobody-here"):
        with pytest.raises(PermissionDenied):
            search_page(ctx, SearchFilters(), actor=actor)
        with pytest.raises(PermissionDenied):
            count_matches(ctx, SearchFilters(), actor=actor)
        out = io.StringIO()
        with pytest.raises(PermissionDenied):
            export_csv(ctx, SearchFilters(), out, actor=actor)
        assert out.getvalue() == ""
