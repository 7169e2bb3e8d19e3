"""Search and history filter parsing: raw user input in, validated filters or InputError out."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bo_core.db.paging import decode_cursor, encode_cursor
from bo_core.db.search_sql import minor_bounds as _minor_bounds
from bo_core.domain.errors import InputError
from bo_core.domain.filters import SearchFilters, parse_filters
from bo_core.services.history import parse_history_filters


def test_empty_input_gives_empty_filters() -> None:
    assert parse_filters() == SearchFilters()
    assert parse_filters(types=(), merchant="  ", text="", currency="") == SearchFilters()


def test_codes_are_normalized_and_deduplicated() -> None:
    f = parse_filters(types=["db", "PA", "DB"], statuses=("SUCCESS", "pending"))
    assert f.types == ("DB", "PA")
    assert f.statuses == ("success", "pending")


def test_single_string_type_is_accepted() -> None:
    assert parse_filters(types="rf").types == ("RF",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"types": ["XX"]}, "Type"),
        ({"statuses": ["done"]}, "Status"),
        ({"date_from": "2026-13-01"}, "From"),
        ({"date_to": "yesterday"}, "To"),
        ({"date_from": "2026-11-02", "date_to": "2026-11-01"}, "To"),
        ({"date_from": "2026-11-01", "date_to": "2026-11-01"}, "To"),
        ({"currency": "EURO"}, "Currency"),
        ({"currency": "XYZ"}, "Currency"),
        ({"min_amount": "-1"}, "Minimum amount"),
        ({"min_amount": "1e3"}, "Minimum amount"),
        ({"max_amount": "0"}, "Maximum amount"),
        ({"max_amount": "NaN"}, "Maximum amount"),
        ({"max_amount": "1,000"}, "Maximum amount"),
        ({"min_amount": "1.5", "currency": "JPY"}, "Minimum amount"),
        ({"max_amount": "1.234", "currency": "EUR"}, "Maximum amount"),
        ({"max_amount": "1.23456"}, "Maximum amount"),
        ({"min_amount": "10", "max_amount": "9.99"}, "Minimum amount"),
        ({"text": "x" * 201}, "Search text"),
        ({"text": "abc\x00def"}, "Search text"),
        ({"text": "abc\u202edef"}, "Search text"),
        ({"merchant": "m" * 65}, "Merchant"),
        ({"brand": "VI\nSA"}, "Brand"),
        ({"text": "ab\ud800"}, "Search text"),  # a lone surrogate cannot be stored or sent
        ({"date_from": "0001-01-01T00:00:00+01:00"}, "From"),
        ({"date_to": "9999-12-31T23:59:59-05:00"}, "To"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_filters(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.message.startswith(f"{field}: ")


def test_dates_become_aware_utc_instants() -> None:
    f = parse_filters(date_from="2026-11-01", date_to="2026-11-02T10:30:00+02:00")
    assert f.date_from == datetime(2026, 11, 1, tzinfo=UTC)
    assert f.date_to == datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    g = parse_filters(
        date_from=date(2026, 1, 5), date_to=datetime(2026, 1, 6, 1, tzinfo=timezone(timedelta(hours=1)))
    )
    assert g.date_from == datetime(2026, 1, 5, tzinfo=UTC)
    assert g.date_to == datetime(2026, 1, 6, tzinfo=UTC)


def test_zero_minimum_is_allowed_and_amounts_keep_their_digits() -> None:
    f = parse_filters(min_amount="0", max_amount="12.50", currency="eur")
    assert (f.min_amount, f.max_amount, f.currency) == ("0", "12.50", "EUR")


def test_amount_bounds_without_currency_round_inward_per_currency_exponent() -> None:
    f = parse_filters(min_amount="10.5", max_amount="20.255")
    assert _minor_bounds(f, "EUR") == (1050, 2025)
    assert _minor_bounds(f, "JPY") == (11, 20)
    assert _minor_bounds(f, "BHD") == (10500, 20255)


def test_free_text_is_trimmed_and_kept() -> None:
    assert parse_filters(text="  Anna Smith ").text == "Anna Smith"


def test_cursor_round_trips_and_garbage_is_refused() -> None:
    moment = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    too_big = base64.urlsafe_b64encode(f"{moment.isoformat()}|{10**22}".encode()).decode()
    naive = base64.urlsafe_b64encode(b"2026-01-01|1").decode()
    for bad in ("not-a-cursor", "", "!!!!", "\x00", encode_cursor(moment, 1)[:-3], too_big, naive):
        with pytest.raises(InputError):
            decode_cursor(bad)


def test_history_filters_parse_and_refuse() -> None:
    f = parse_history_filters(operation="Refund", outcome="REFUSED", currency="usd", username=" bob ")
    assert (f.operation, f.outcome, f.currency, f.username) == ("refund", "refused", "USD", "bob")
    for kwargs in (
        {"operation": "delete"},
        {"outcome": "maybe"},
        {"currency": "ZZZ"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-02-02", "date_to": "2026-02-01"},
        {"username": "u" * 65},
    ):
        with pytest.raises(InputError):
            parse_history_filters(**kwargs)  # type: ignore[arg-type]
