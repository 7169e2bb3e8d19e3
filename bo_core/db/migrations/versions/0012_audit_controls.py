"""audit controls: origin of every record, keyed MACs, a chain of security events

Revision ID: 0012_audit_controls
Revises: 0010_history_exports

- audit_log: ``channel``, ``session_ref``, ``os_user`` (where the request came
  from) and ``hash_version`` (0 for the records written before: they keep
  verifying as they were hashed; 1 for keyed records, see bo_core.services.chain);
- security_events: ``target``, the same origin columns, and the chain columns
  (``prev_hash``, ``hash``, ``hash_version``); the events recorded before stay
  unchained; the table becomes append-only like audit_log;
- a trail that ends with records written before is sealed by one keyed record
  (bo_core.security.chain_seal): run this upgrade with the production BO_AUDIT_KEY.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_audit_controls"
down_revision = "0010_history_exports"
branch_labels = None
depends_on = None

_ORIGIN = (
    ("channel", sa.String(length=16)),
    ("session_ref", sa.String(length=16)),
    ("os_user", sa.String(length=64)),
)

_PG_GUARD = """
CREATE OR REPLACE FUNCTION bo_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'security_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER security_events_append_only
    BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION bo_events_append_only();
CREATE TRIGGER security_events_no_truncate
    BEFORE TRUNCATE ON security_events
    FOR EACH STATEMENT EXECUTE FUNCTION bo_events_append_only();
"""


def upgrade() -> None:
    for name, type_ in _ORIGIN:
        op.add_column("audit_log", sa.Column(name, type_, nullable=True))
    op.add_column(
        "audit_log", sa.Column("hash_version", sa.SmallInteger(), nullable=False, server_default="0")
    )
    op.add_column("security_events", sa.Column("target", sa.String(length=128), nullable=True))
    for name, type_ in _ORIGIN:
        op.add_column("security_events", sa.Column(name, type_, nullable=True))
    op.add_column("security_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("security_events", sa.Column("hash", sa.String(length=64), nullable=True))
    op.add_column(
        "security_events", sa.Column("hash_version", sa.SmallInteger(), nullable=False, server_default="0")
    )
    op.create_index("ix_security_events_kind", "security_events", ["kind", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER security_events_no_{action.lower()} BEFORE {action} ON security_events "
                f"BEGIN SELECT RAISE(ABORT, 'security_events is append-only: {action} refused'); END"
            )
    from bo_core.security.chain_seal import seal_trails

    seal_trails(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only ON security_events")
        op.execute("DROP TRIGGER IF EXISTS security_events_no_truncate ON security_events")
        op.execute("DROP FUNCTION IF EXISTS bo_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS security_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS security_events_no_delete")
    op.drop_index("ix_security_events_kind", table_name="security_events")
    with op.batch_alter_table("security_events") as batch:
        for name in ("hash_version", "hash", "prev_hash", "os_user", "session_ref", "channel", "target"):
            batch.drop_column(name)
    with op.batch_alter_table("audit_log") as batch:
        for name in ("hash_version", "os_user", "session_ref", "channel"):
            batch.drop_column(name)
