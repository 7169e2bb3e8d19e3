"""Tables of the gateway connection (migration 0005_gateway)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bo_core.db.models import Base, BigId, UTCDateTime


class GatewayInbox(Base):
    """A notification or imported record whose parent bo does not know yet.

    It is stored as soon as its parent arrives (see ``services.ingest``).
    """

    __tablename__ = "gateway_inbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(String(32), unique=True)
    referenced_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_gateway_inbox_referenced", "referenced_id"),)
