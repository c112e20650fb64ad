"""Spreadsheet imports: one row per uploaded file, with progress and its error report."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class ImportKind(enum.StrEnum):
    PRODUCTS = "products"
    PRICES = "prices"
    STOCK = "stock"
    CHANNEL_STOCK = "channel_stock"


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    APPLIED = "applied"
    REJECTED = "rejected"
    """The file had errors; nothing was written and the report names each one."""
    FAILED = "failed"
    """The import crashed; nothing was written."""


class ImportBatch(TenantScoped, Base):
    """An uploaded CSV/XLSX file and what became of it. All rows apply, or none."""

    __tablename__ = "import_batches"
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(Enum(ImportKind, native_enum=False, length=20))
    filename: Mapped[str] = mapped_column(String(255))
    file_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[ImportStatus] = mapped_column(
        Enum(ImportStatus, native_enum=False, length=20), default=ImportStatus.PENDING
    )
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    report_key: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(String(1000), default="")
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    """Set for a dealer's own channel-stock upload."""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
