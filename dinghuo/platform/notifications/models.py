"""In-app notifications: one row per recipient, read or not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class Notification(TenantScoped, Base):
    """A message for one user, with a link to what it is about (an order, a shipment)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "tenant_id", "user_id", "read_at", "id"),
        UniqueConstraint("tenant_id", "event_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))
    """The event type it came from, e.g. ``order.approved``."""
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    """A path on the tenant's host: ``/orders/12`` (portal) or ``/console/orders/12``."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    event_id: Mapped[int | None]
    """The outbox event that caused it: a redelivered event notifies no one twice."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
