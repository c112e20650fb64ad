"""The transactional outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class OutboxEvent(TenantScoped, Base):
    """Something others must hear about, written in the transaction that caused it.

    Delivered at least once, in order per aggregate (``order:42``); a crash
    between commit and delivery leaves the row pending, not lost.
    ``delivered_to`` names the plugins that already took the event, so a retry
    caused by one failing plugin does not repeat it to the others.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(None, "tenant_id", "delivered_at", "id"),
        Index(None, "tenant_id", "aggregate_type", "aggregate_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    aggregate_type: Mapped[str] = mapped_column(String(50))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    delivered_to: Mapped[list[str]] = mapped_column(JSON, default=list)
