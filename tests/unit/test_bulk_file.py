"""Bulk CSV parsing: columns, encodings, separators, line numbers, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bo_core.domain.bulk_file import (
    MalformedBulkFile,
    Problem,
    content_hash,
    idempotency_key,
    parse_bulk_file,
)

UUID_A = "a" * 32
UUID_B = "b" * 32


def problems_of(data: bytes, **kw: int) -> list[Problem]:
    with pytest.raises(MalformedBulkFile) as info:
        parse_bulk_file(data, **kw)
    return info.value.problems


def test_a_comma_separated_file_with_lf_parses_every_column() -> None:
    data = (
        "parent_uuid,operation,amount,usage,transaction_id,memo,reason\n"
        f"{UUID_A},refund,12.50,Shipment,RF-1,faulty,damaged\n"
        f"{UUID_B},reversal,,,,,\n"
    ).encode()
    parsed = parse_bulk_file(data)
    assert parsed.delimiter == ","
    first, second = parsed.lines
    assert (first.line, first.operation, first.parent_uuid, first.amount) == (2, "refund", UUID_A, "12.50")
    assert (first.usage, first.transaction_id, first.memo, first.reason) == (
        "Shipment",
        "RF-1",
        "faulty",
        "damaged",
    )
    assert (second.line, second.operation, second.amount, second.memo) == (3, "reversal", None, None)
    assert parsed.sha256 == content_hash(data)


def test_semicolons_crlf_and_a_bom_are_accepted() -> None:
    data = f"\ufeffPARENT_UUID;Operation;Amount\r\n{UUID_A};refund;1.00\r\n".encode()
    parsed = parse_bulk_file(data)
    assert parsed.delimiter == ";"
    assert parsed.lines[0].parent_uuid == UUID_A
    assert parsed.lines[0].amount == "1.00"


def test_parent_by_transaction_id_and_merchant() -> None:
    data = b"parent_transaction_id,merchant,operation,amount\nORD-1,acme-shop,refund,3\n"
    line = parse_bulk_file(data).lines[0]
    assert (line.parent_uuid, line.parent_transaction_id, line.merchant) == (None, "ORD-1", "acme-shop")


def test_every_bad_line_is_named_with_its_physical_line_and_column() -> None:
    data = (
        "parent_uuid,operation,amount\n"
        f"{UUID_A},refund,10\n"
        f"{UUID_A},refund,ten\n"
        "\n"
        f"{UUID_A},teleport,1\n"
        f"not-a-uuid,refund,1\n"
        f'{UUID_A},refund,"1\n2"\n'
        f"{UUID_A},reversal,5\n"
        f"{UUID_A},refund\n"
    ).encode()
    found = {(p.line, p.column) for p in problems_of(data)}
    assert found == {
        (3, "amount"),
        (5, "operation"),
        (6, "parent_uuid"),
        (7, "amount"),
        (9, "amount"),
        (10, "-"),
    }


def test_a_missing_header_column_is_reported_on_line_1() -> None:
    problems = problems_of(f"parent_uuid,operation\n{UUID_A},refund\n".encode())
    assert problems == [Problem(1, "amount", "required column is missing")]


def test_a_file_without_a_parent_column_is_malformed() -> None:
    problems = problems_of(b"parent_transaction_id,operation,amount\nX,refund,1\n")
    assert [(p.line, p.column) for p in problems] == [(1, "parent_uuid")]


def test_an_empty_file_has_no_header() -> None:
    assert problems_of(b"")[0].line == 1
    assert problems_of(b"\n\n")[0].column == "header"


def test_a_header_only_file_is_malformed() -> None:
    assert problems_of(b"parent_uuid,operation,amount\n")[0].reason.startswith("the file has a header")


def test_more_data_lines_than_allowed_is_malformed_and_names_the_first_excess_line() -> None:
    lines = "".join(f"{UUID_A},refund,1\n" for _ in range(4))
    problems = problems_of(f"parent_uuid,operation,amount\n{lines}".encode(), max_lines=3)
    assert [(p.line, p.column) for p in problems] == [(5, "-")]
    assert "at most 3" in problems[0].reason
    assert len(parse_bulk_file(f"parent_uuid,operation,amount\n{lines}".encode(), max_lines=4).lines) == 4


def test_the_default_limit_is_ten_thousand_lines_and_the_header_does_not_count() -> None:
    body = f"{UUID_A},refund,1\n" * 10_000
    assert len(parse_bulk_file(f"parent_uuid,operation,amount\n{body}".encode()).lines) == 10_000
    too_many = f"parent_uuid,operation,amount\n{body}{UUID_A},refund,1\n".encode()
    assert problems_of(too_many)[0].line == 10_002


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    data = b"parent_uuid,operation,amount\n" + UUID_A.encode() + b",refund,1\nx\xff,refund,1\n"
    assert problems_of(data) == [Problem(3, "-", "not UTF-8 text")]


def test_the_idempotency_key_depends_on_content_and_line_only() -> None:
    one = parse_bulk_file(f"parent_uuid,operation,amount\n{UUID_A},refund,1\n".encode())
    two = parse_bulk_file(f"parent_uuid,operation,amount\n{UUID_A},refund,2\n".encode())
    assert idempotency_key(one.sha256, 2) != idempotency_key(two.sha256, 2)
    assert idempotency_key(one.sha256, 2) != idempotency_key(one.sha256, 3)
    assert len(idempotency_key(one.sha256, 10_001)) <= 128


def test_the_error_message_lists_the_problems() -> None:
    with pytest.raises(MalformedBulkFile) as info:
        parse_bulk_file(f"parent_uuid,operation,amount\n{UUID_A},refund,x\n".encode())
    assert "line 2, amount" in info.value.message


amounts = st.one_of(
    st.integers(min_value=1, max_value=10**9).map(str),
    st.tuples(st.integers(0, 10**6), st.integers(1, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
)


@given(
    rows=st.lists(st.tuples(st.sampled_from(["refund", "rebill"]), amounts), min_size=1, max_size=30),
    delimiter=st.sampled_from([",", ";"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_any_well_formed_file_round_trips_with_consecutive_line_numbers(
    rows: list[tuple[str, str]], delimiter: str, newline: str, bom: bool
) -> None:
    header = delimiter.join(["parent_uuid", "operation", "amount"])
    body = newline.join(delimiter.join([UUID_A, op, amount]) for op, amount in rows)
    data = (("\ufeff" if bom else "") + header + newline + body + newline).encode()
    parsed = parse_bulk_file(data)
    assert [(ln.line, ln.operation, ln.amount) for ln in parsed.lines] == [
        (i + 2, op, amount) for i, (op, amount) in enumerate(rows)
    ]


@given(st.binary(max_size=300))
def test_arbitrary_bytes_either_parse_or_raise_a_malformed_file_error(data: bytes) -> None:
    try:
        parsed = parse_bulk_file(b"parent_uuid,operation,amount\n" + data)
    except MalformedBulkFile as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems)
    else:
        assert all(ln.line >= 2 for ln in parsed.lines)
