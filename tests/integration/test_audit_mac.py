"""The chains' keyed MAC, versions and sequence gaps; the origin of every record. Both backends.

The attacker of these tests holds the database (the owner's credentials: they
can lift the append-only triggers) but not ``BO_AUDIT_KEY``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Table, insert, select, text, update

from bo_core.db.models import AuditRecord
from bo_core.db.security_models import SecurityEvent
from bo_core.db.timestamps import to_storage_text
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.filters import parse_history_filters
from bo_core.security import event_chain, events
from bo_core.security.audit_key import KEY_ENV, key_file_for
from bo_core.services import audit, chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.history import list_history
from bo_core.services.origin import as_channel, use_origin
from bo_core.services.trail_check import verify_trails
from tests.conftest import make_context
from tests.factories import add_tx, add_user

GUARDS = {
    "audit_log": ("audit_log_no_update", "audit_log_no_delete"),
    "security_events": (
        "security_events_no_update",
        "security_events_no_delete",
    ),
}


@contextmanager
def unguarded(ctx: Context, table: str) -> Iterator[None]:
    """The owner lifts the append-only triggers of ``table`` for the block."""
    with ctx.db.engine.begin() as conn:
        if ctx.db.is_sqlite:
            for name in GUARDS[table]:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    yield


def _refunds(ctx: Context, count: int) -> str:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", amount_minor=100_000)
    for _ in range(count):
        assert (
            run_operation(
                ctx, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
            ).outcome
            == "success"
        )
    return user


def _plain_rehash(ctx: Context, version: int) -> None:
    """Recompute every audit hash as the pre-MAC code did (SHA-256, no key)."""
    with ctx.db.engine.begin() as conn:
        prev = chain.GENESIS
        table = AuditRecord.__table__
        for row in conn.execute(select(table).order_by(table.c.seq)).mappings():
            record = AuditRecord(**{k: v for k, v in row.items()})
            record.hash_version = version
            payload = audit.hashed_payload(record)
            new = hashlib.sha256((prev + payload).encode()).hexdigest()
            conn.execute(
                update(table)
                .where(table.c.seq == row["seq"])
                .values(prev_hash=prev, hash=new, hash_version=version)
            )
            prev = new


@pytest.mark.parametrize("version", [0, 1])
def test_a_rewritten_and_rehashed_audit_trail_fails_without_the_key(ctx: Context, version: int) -> None:
    _refunds(ctx, 3)
    assert verify_trails(ctx, actor=SYSTEM).ok
    with unguarded(ctx, "audit_log"), ctx.db.engine.begin() as conn:
        conn.execute(
            update(AuditRecord.__table__).where(AuditRecord.__table__.c.seq == 2).values(username="mallory")
        )
    _plain_rehash(ctx, version)
    report = verify_trails(ctx, actor=SYSTEM)
    assert not report.ok and not report.audit.ok
    # Rehashed as keyed records: the first MAC is wrong. As old records: the trail must end keyed.
    assert report.audit.first_bad_seq == (1 if version else 3)


def test_a_rewritten_security_event_fails_without_the_key(ctx: Context) -> None:
    add_user(ctx, "viewer", "vera")
    add_user(ctx, "viewer", "walt")
    with unguarded(ctx, "security_events"), ctx.db.engine.begin() as conn:
        t = SecurityEvent.__table__
        first = conn.execute(select(t.c.id).order_by(t.c.id)).scalars().first()
        conn.execute(update(t).where(t.c.id == first).values(actor="someone-else"))
    report = verify_trails(ctx, actor=SYSTEM)
    assert not report.ok and report.audit.ok and report.events.first_bad_seq == first


def test_records_from_before_the_key_still_verify_and_cannot_come_back_later(ctx: Context) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", amount_minor=100_000)
    table: Table = AuditRecord.__table__  # type: ignore[assignment]
    legacy = AuditRecord(
        created_at=ctx.now(), username=user, operation="refund", parent_uuid=parent,
        outcome="refused", result_code="000.000.000", message="written before keyed MACs", hash_version=0,
    )  # fmt: skip
    legacy.prev_hash = chain.GENESIS
    legacy.hash = audit.record_digest(chain.GENESIS, legacy)
    with ctx.db.engine.begin() as conn:
        values = {c.key: getattr(legacy, c.key) for c in table.columns if c.key != "seq"}
        conn.execute(insert(table), values)
    run_operation(
        ctx, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
    )
    report = verify_trails(ctx, actor=SYSTEM).audit
    assert report.ok and report.records == 2 and report.unkeyed == 1
    with unguarded(ctx, "audit_log"):
        _plain_rehash(ctx, 0)  # the whole trail "downgraded" to unkeyed hashes
    downgraded = verify_trails(ctx, actor=SYSTEM).audit
    assert not downgraded.ok and "no keyed MAC" in (downgraded.problem or "")


def test_sequence_gaps_are_reported(ctx: Context) -> None:
    _refunds(ctx, 2)
    table: Table = AuditRecord.__table__  # type: ignore[assignment]
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        last = s.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one()
        record = AuditRecord(
            created_at=ctx.now(), username=last.username, operation="refund", parent_uuid=last.parent_uuid,
            outcome="refused", result_code="000.000.000", message="after a rolled-back append",
            channel="cli", hash_version=1, prev_hash=last.hash,
        )  # fmt: skip
        from bo_core.security.audit_key import audit_key

        record.hash = audit.record_digest(last.hash, record, audit_key(ctx.db.engine.url))
        values = {c.key: getattr(record, c.key) for c in table.columns}
        values["seq"] = last.seq + 3
        s.execute(insert(table), values)
        uow.commit()
    report = verify_trails(ctx, actor=SYSTEM)
    assert report.ok and report.audit.gaps == ((2, 5),)
    assert any("gap after seq=2" in line for line in report.lines())
    with unguarded(ctx, "audit_log"), ctx.db.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.seq == 2))
    broken = verify_trails(ctx, actor=SYSTEM).audit
    assert not broken.ok and broken.first_bad_seq == 5 and "seq 2..4 missing" in (broken.problem or "")


def test_another_key_fails_verification(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _refunds(ctx, 1)
    assert verify_trails(ctx, actor=SYSTEM).ok
    monkeypatch.setenv(KEY_ENV, "another-key-" + "z" * 40)
    report = verify_trails(ctx, actor=SYSTEM)
    assert not report.audit.ok and not report.events.ok


def test_the_embedded_database_gets_its_own_key_beside_the_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    ctx = make_context(sqlite_url)
    try:
        _refunds(ctx, 1)
        key_file = key_file_for(sqlite_url)
        assert key_file == Path(sqlite_url.removeprefix("sqlite:///") + ".audit-key")
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and len(key_file.read_text().strip()) == 64
        assert verify_trails(ctx, actor=SYSTEM).ok
        monkeypatch.setenv(KEY_ENV, "not-the-generated-key-" + "k" * 32)
        assert not verify_trails(ctx, actor=SYSTEM).ok
    finally:
        ctx.db.dispose()


def test_every_record_names_its_channel_session_and_os_user(ctx: Context) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", amount_minor=100_000)
    with use_origin("web", session="ab" * 32):
        run_operation(
            ctx, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
        )
        events.record_security_event(ctx, events.SIGN_OUT, username=user)
        with as_channel("bulk"):
            run_operation(
                ctx, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
            )
    with use_origin("cli", user="operator"):
        run_operation(
            ctx, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
        )
    history = list_history(ctx, parse_history_filters(), actor=SYSTEM)
    got = sorted((h.channel, h.session_ref, h.os_user) for h in history)
    assert got == [("bulk", "ab" * 8, None), ("cli", None, "operator"), ("web", "ab" * 8, None)]
    assert all(h.username == user for h in history)
    with ctx.db.uow() as uow:
        sign_out = uow.session.execute(
            select(SecurityEvent).where(SecurityEvent.kind == "sign_out")
        ).scalar_one()
        assert (sign_out.channel, sign_out.session_ref) == ("web", "ab" * 8)
    assert verify_trails(ctx, actor=SYSTEM).ok


def test_the_event_chain_links_each_event_to_the_previous_one(ctx: Context) -> None:
    add_user(ctx, "viewer")
    with ctx.db.uow() as uow:
        rows = list(uow.session.execute(select(SecurityEvent).order_by(SecurityEvent.id)).scalars())
        assert rows[0].prev_hash == chain.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert event_chain.verify_events(uow.session).ok


def test_the_upgrade_seals_a_trail_written_before_keyed_macs(db_url: str) -> None:
    from bo_core.config import Settings, normalize_url
    from bo_core.db import migrate
    from bo_core.db.uow import Database
    from bo_core.domain.permissions import load_roles

    db = Database(normalize_url(db_url))
    migrate.upgrade(db.engine, "0007_controls")
    old = AuditRecord(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), username="ann", operation="refund",
        parent_uuid="a" * 32, outcome="refused", result_code="000.000.000", message="old", hash_version=0,
    )  # fmt: skip
    digest = audit.record_digest(chain.GENESIS, old)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (created_at, username, operation, parent_uuid, outcome, "
                "result_code, message, prev_hash, hash) VALUES (:at, 'ann', 'refund', :p, 'refused', "
                "'000.000.000', 'old', :g, :h)"
            ),
            {"at": to_storage_text(old.created_at), "p": "a" * 32, "g": chain.GENESIS, "h": digest},
        )
        conn.execute(
            text(
                "INSERT INTO security_events (created_at, kind, username, detail) "
                "VALUES (:at, 'sign_in', 'ann', '')"
            ),
            {"at": to_storage_text(old.created_at)},
        )
    migrate.upgrade(db.engine)
    ctx = Context(db, Settings(db.url, load_roles(None)))
    try:
        report = verify_trails(ctx, actor=SYSTEM)
        assert report.ok, report
        assert (report.audit.records, report.audit.unkeyed) == (2, 1)
        assert (report.events.records, report.events.unkeyed) == (2, 1)
        with unguarded(ctx, "audit_log"), ctx.db.engine.begin() as conn:  # rewrite the old record
            conn.execute(update(AuditRecord.__table__).values(username="mallory").where(text("seq = 1")))
        _plain_rehash_first(ctx)
        broken = verify_trails(ctx, actor=SYSTEM).audit
        assert not broken.ok and broken.first_bad_seq == 2  # the seal's MAC covers the old hash
    finally:
        db.dispose()


def _plain_rehash_first(ctx: Context) -> None:
    table = AuditRecord.__table__
    with ctx.db.engine.begin() as conn:
        row = conn.execute(select(table).where(table.c.seq == 1)).mappings().one()
        record = AuditRecord(**dict(row))
        conn.execute(
            update(table).where(table.c.seq == 1).values(hash=audit.record_digest(chain.GENESIS, record))
        )


def test_an_unknown_hash_version_is_reported_not_a_crash(ctx: Context) -> None:
    _refunds(ctx, 2)
    with unguarded(ctx, "audit_log"), ctx.db.engine.begin() as conn:
        conn.execute(update(AuditRecord.__table__).where(text("seq = 2")).values(hash_version=7))
    report = verify_trails(ctx, actor=SYSTEM).audit
    assert not report.ok and report.first_bad_seq == 2 and "unknown hash version" in (report.problem or "")
