"""Hostile input to every dialog field and search filter: a clear refusal, never a crash.

Hypothesis feeds unicode, control characters, 10k-character strings, SQL and
HTML fragments, malformed and huge amounts, wrong currencies and unknown UUIDs
to ``run_operation`` (every field), to ``bo run`` (whole argument vectors) and
to the search filters. Each input ends in exactly one of: success (one child
and one audit record), a business refusal (one audit record only), or an input
error / not-found (nothing written). Anything else fails the test.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bo_core.domain import result_codes as rc
from bo_core.domain.errors import BoError, IdempotencyKeyReused, InputError, NotFound
from bo_core.domain.types import Operation
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user
from tests.reliability._fuzz import (
    MALFORMED_AMOUNTS,
    NASTY,
    WRONG_CURRENCIES,
    amounts,
    cli_safe,
    hostile_text,
    uuids,
)
from tests.reliability._support import assert_chain_ok, cli_available, record, run_cli
from tests.rows import Counts, audit_rows, children, counts

SERVICE_EXAMPLES = 80
CLI_EXAMPLES = 12
SEARCH_EXAMPLES = 60
MESSAGE_MAX = 600
FUZZ = settings(
    max_examples=SERVICE_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,  # the same inputs on every run: a failure reproduces
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@dataclass
class World:
    ctx: Context
    admin: str
    viewer: str
    parents: dict[str, str]  # currency -> a successful debit


@pytest.fixture
def world(ctx: Context) -> Iterator[World]:
    parents = {cur: add_tx(ctx, "DB", 10_000, currency=cur) for cur in ("EUR", "JPY", "BHD")}
    yield World(ctx, add_user(ctx, "admin"), add_user(ctx, "viewer"), parents)


def attempt(ctx: Context, request: OperationRequest, tally: Counter[str]) -> None:
    """Run one request and check that it ended in one of the allowed ways."""
    before = counts(ctx)
    try:
        result = run_operation(ctx, request)
    except (InputError, NotFound, IdempotencyKeyReused) as exc:
        _clear(exc)
        assert counts(ctx) == before, "an input error writes nothing"
        tally[type(exc).__name__] += 1
        return
    after = counts(ctx)
    if result.replayed:
        assert after == before
        tally["replayed"] += 1
    elif result.ok:
        assert after == Counts(before.transactions + 1, before.audit + 1)
        tally["success"] += 1
    else:
        assert after == Counts(before.transactions, before.audit + 1), (
            "a refusal writes its audit record only"
        )
        assert result.message and len(result.message) <= MESSAGE_MAX and rc.is_valid_code(result.result_code)
        assert audit_rows(ctx)[-1].result_code == result.result_code
        tally["refused"] += 1


def _clear(exc: BoError) -> None:
    assert exc.message.strip(), "the refusal says why"
    assert len(exc.message) <= MESSAGE_MAX, "hostile input is not echoed back in full"


FIELDS: dict[str, Any] = {
    "amount": amounts,
    "usage": hostile_text,
    "transaction_id": hostile_text,
    "memo": hostile_text,
    "idempotency_key": hostile_text,
    "operation": st.one_of(
        hostile_text, st.sampled_from([*Operation, "REFUND", "refund ", "delete", "rebill\x00"])
    ),
    "parent_uuid": uuids,
    "username": hostile_text,
    "currency": st.one_of(st.sampled_from(WRONG_CURRENCIES), hostile_text),
}


CORPUS: dict[str, list[str]] = {
    "amount": [*MALFORMED_AMOUNTS, *NASTY],
    "currency": [*WRONG_CURRENCIES, *NASTY],
    "parent_uuid": [*NASTY, "0" * 32, "F" * 32, "g" * 32, "12345678-1234-1234-1234-1234567890ab"],
}


def _dialog_probe(world: World, field: str, tally: Counter[str]) -> Callable[[str, str], None]:
    """One fuzzed request: ``field`` hostile, everything else a valid rebill."""
    ctx = world.ctx
    base = OperationRequest("rebill", world.parents["EUR"], world.admin, amount="1.00")
    texts = field in ("usage", "memo", "transaction_id")

    def one(value: str, currency: str) -> None:
        parent = world.parents[currency] if field == "amount" else base.parent_uuid
        request = replace(base, **{"parent_uuid": parent, field: value})
        before_children = len(children(ctx, parent)) if texts else 0
        attempt(ctx, request, tally)
        if texts and len(children(ctx, parent)) > before_children and value.strip():
            assert getattr(children(ctx, parent)[-1], field) == value.strip(), (
                "accepted text is stored exactly"
            )
        tally["inputs"] += 1

    return one


def test_hostile_input_in_every_dialog_field_is_refused_clearly_and_writes_nothing_half_way(
    world: World,
) -> None:
    ctx = world.ctx
    for field, strategy in FIELDS.items():
        tally: Counter[str] = Counter()
        one = _dialog_probe(world, field, tally)
        for value in CORPUS.get(field, NASTY):
            for currency in sorted(world.parents) if field == "amount" else ["EUR"]:
                one(value, currency)
        FUZZ(given(value=strategy, currency=st.sampled_from(sorted(world.parents)))(one))()
        record(
            "bad_input",
            ctx,
            target=f"run_operation: {field}",
            inputs=tally["inputs"],
            outcomes=dict(tally),
            crashes=0,
            partial_writes=0,
        )
    assert_chain_ok(ctx)


@pytest.mark.slow
@pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")
def test_hostile_bo_run_arguments_end_in_exit_1_or_2_with_a_message(world: World, db_url: str) -> None:
    ctx = world.ctx
    tally: Counter[str] = Counter()
    safe = hostile_text.filter(cli_safe)
    hostile = {
        "operation": safe,
        "uuid": uuids.filter(cli_safe),
        "as": safe,
        "amount": amounts.filter(cli_safe),
        "usage": safe,
        "transaction-id": safe,
        "memo": safe,
        "idempotency-key": safe,
    }
    one_hostile = st.sampled_from(sorted(hostile)).flatmap(lambda f: st.tuples(st.just(f), hostile[f]))

    @settings(FUZZ, max_examples=CLI_EXAMPLES)
    @given(case=one_hostile)
    def run(case: tuple[str, str]) -> None:
        args = {"operation": "rebill", "uuid": world.parents["EUR"], "as": world.admin, "amount": "1.00"}
        args[case[0]] = case[1]  # one hostile argument, the rest a valid rebill
        argv = ["run", args.pop("operation"), args.pop("uuid"), "--json"]
        argv += [f"--{name}={value}" for name, value in args.items()]
        before = counts(ctx)
        proc = run_cli(db_url, *argv)
        after = counts(ctx)
        assert "Traceback" not in proc.stderr
        assert "internal error" not in proc.stderr and "database error" not in proc.stderr, proc.stderr[-300:]
        assert proc.returncode in (0, 1, 2), proc.stderr[-300:]
        tally[f"exit {proc.returncode}"] += 1
        tally["inputs"] += 1
        if proc.returncode == 2:
            assert after == before
            assert proc.stderr.strip(), "a usage error says why"
            return
        data = json.loads(proc.stdout)
        if proc.returncode == 0:
            assert data["outcome"] == "success"
            grew = 0 if data.get("replayed") else 1
            assert after == Counts(before.transactions + grew, before.audit + grew)
        elif data.get("outcome") == "refused":
            assert after == Counts(before.transactions, before.audit + 1)
        else:  # not found / key reused: a message, nothing written
            assert data.get("error") and after == before

    run()
    assert_chain_ok(ctx)
    record(
        "bad_input",
        ctx,
        target="bo run (processes)",
        inputs=tally["inputs"],
        outcomes=dict(tally),
        crashes=0,
        partial_writes=0,
    )


# --- search filters ----------------------------------------------------------------------------

SEARCH_FIELDS: dict[str, Any] = {
    "types": st.one_of(hostile_text, st.lists(hostile_text, max_size=3), st.sampled_from(["PA", "db", "XX"])),
    "statuses": st.one_of(hostile_text, st.lists(hostile_text, max_size=3)),
    "date_from": st.one_of(
        hostile_text,
        st.datetimes().map(lambda d: d.isoformat()),
        st.sampled_from(
            ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "2026-02-30", "2026-13-01"]
        ),
    ),
    "date_to": st.one_of(hostile_text, st.dates().map(str), st.sampled_from(["9999-12-31T23:00:00-14:00"])),
    "merchant": hostile_text,
    "currency": st.one_of(st.sampled_from(WRONG_CURRENCIES), hostile_text),
    "brand": hostile_text,
    "min_amount": amounts,
    "max_amount": amounts,
    "text": hostile_text,
}
SEARCH_CORPUS: dict[str, list[Any]] = {
    "date_from": [
        *NASTY,
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
        "2026-02-30",
        "2026-13-01",
    ],
    "date_to": [*NASTY, "9999-12-31T23:00:00-14:00", "0001-01-01", "2026-01-01T25:00"],
    "currency": [*WRONG_CURRENCIES, *NASTY],
    "min_amount": [*MALFORMED_AMOUNTS, *NASTY],
    "max_amount": [*MALFORMED_AMOUNTS, *NASTY],
    "types": [*NASTY, ["PA", "\x00"], ["db", "DB"]],
}


def _search_probe(world: World, field: str, tally: Counter[str]) -> Callable[[Any], None]:
    """One fuzzed search: parse ``field``; when accepted, run the page and the count."""
    from bo_core.services import search

    def one(value: Any) -> None:
        tally["inputs"] += 1
        try:
            filters = search.parse_filters(**{field: value})
        except InputError as exc:
            _clear(exc)
            tally["InputError"] += 1
            return
        page = search.search_page(world.ctx, filters, actor=world.viewer, page_size=20)
        search.count_matches(world.ctx, filters, actor=world.viewer, cap=1000)
        assert len(page.rows) <= 20
        tally["searched"] += 1

    return one


def test_hostile_search_filters_are_refused_clearly_or_searched_safely(world: World) -> None:
    ctx = world.ctx
    before = counts(ctx)
    for field, strategy in SEARCH_FIELDS.items():
        tally: Counter[str] = Counter()
        one = _search_probe(world, field, tally)
        for value in SEARCH_CORPUS.get(field, NASTY):
            one(value)
        settings(FUZZ, max_examples=SEARCH_EXAMPLES)(given(value=strategy)(one))()
        record(
            "bad_input",
            ctx,
            target=f"search filter: {field}",
            inputs=tally["inputs"],
            outcomes=dict(tally),
            crashes=0,
            partial_writes=0,
        )
    assert counts(ctx) == before, "searching writes nothing"


PAGING: list[dict[str, Any]] = [
    {"page": 0},
    {"page": -1},
    {"page": 10**30},
    {"page": 2**63},
    {"page_size": 0},
    {"page_size": 10**6},
    {"after": "not-a-cursor"},
    {"after": "\x00"},
    {"after": "\ud800"},
    {"after": "MjAyNi0wMS0wMXwx"},  # a valid-looking cursor without a time zone
    {"after": "OTk5OS0xMi0zMVQyMzo1OTo1OSswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},  # huge row id
]


def test_hostile_paging_is_refused_clearly_or_answered(world: World) -> None:
    from bo_core.services import search

    tally: Counter[str] = Counter()
    for paging in PAGING:
        try:
            page = search.search_page(world.ctx, search.parse_filters(), actor=world.viewer, **paging)
        except InputError as exc:
            _clear(exc)
            tally["InputError"] += 1
        else:
            assert len(page.rows) <= page.page_size
            tally["answered"] += 1
        tally["inputs"] += 1
    record(
        "bad_input",
        world.ctx,
        target="search paging",
        inputs=tally["inputs"],
        outcomes=dict(tally),
        crashes=0,
        partial_writes=0,
    )


@pytest.mark.slow
@pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")
def test_hostile_bo_search_arguments_end_in_a_message_not_a_traceback(world: World, db_url: str) -> None:
    tally: Counter[str] = Counter()
    safe = hostile_text.filter(cli_safe)
    names = [
        "type",
        "status",
        "from",
        "to",
        "merchant",
        "currency",
        "brand",
        "min-amount",
        "max-amount",
        "text",
    ]

    @settings(FUZZ, max_examples=CLI_EXAMPLES)
    @given(args=st.dictionaries(st.sampled_from(names), safe, min_size=1, max_size=4))
    def run(args: dict[str, str]) -> None:
        proc = run_cli(db_url, "search", "--json", *[f"--{k}={v}" for k, v in args.items()])
        assert "Traceback" not in proc.stderr
        assert "internal error" not in proc.stderr and "database error" not in proc.stderr, proc.stderr[-300:]
        assert proc.returncode in (0, 2), proc.stderr[-300:]
        if proc.returncode == 0:
            assert isinstance(json.loads(proc.stdout), list)
        else:
            assert proc.stderr.strip()
        tally[f"exit {proc.returncode}"] += 1
        tally["inputs"] += 1

    before = counts(world.ctx)
    run()
    assert counts(world.ctx) == before
    record(
        "bad_input",
        world.ctx,
        target="bo search (processes)",
        inputs=tally["inputs"],
        outcomes=dict(tally),
        crashes=0,
        partial_writes=0,
    )
