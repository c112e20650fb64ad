"""Stock: warehouses, levels per SKU and warehouse, and the ledger that explains them.

Every movement is an append-only :class:`StockMovement` row carrying the
resulting level; a :class:`StockLevel` is a cache of the ledger's sum that the
reservation API updates with conditional ``UPDATE`` statements, so two
concurrent reservations can never both take the last unit.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from dinghuo.db import Base, TenantScoped, utcnow


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    ERP_SYNC = "erp_sync"
    STOCK_COUNT = "stock_count"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    COMMITTED = "committed"


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Warehouse(TenantScoped, Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


class StockLevel(TenantScoped, Base):
    """On hand and reserved units of a SKU in a warehouse; available = on hand − reserved."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        Index(None, "tenant_id", "sku_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT"), primary_key=True
    )
    sku_id: Mapped[int] = mapped_column(
        ForeignKey("skus.id", ondelete="RESTRICT"), primary_key=True
    )
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    warehouse: Mapped[Warehouse] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(TenantScoped, Base):
    """One change to a stock level, with who, when, why and the level it left. Append-only."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index(None, "tenant_id", "sku_id", "warehouse_id", "id"),
        Index(None, "tenant_id", "created_at"),
        Index(None, "tenant_id", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    kind: Mapped[MovementKind] = mapped_column(Enum(MovementKind, native_enum=False, length=20))
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    reserved_delta: Mapped[int] = mapped_column(default=0)
    on_hand_after: Mapped[int]
    reserved_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500), default="")
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StockLedgerIsAppendOnly(RuntimeError):
    """Code tried to change or remove a stock movement; correct it with a new one."""


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_movements(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, StockMovement):
            raise StockLedgerIsAppendOnly("stock movements cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, StockMovement) and session.is_modified(obj):
            raise StockLedgerIsAppendOnly("stock movements cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewrites(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is StockMovement for m in state.all_mappers
    ):
        raise StockLedgerIsAppendOnly("stock movements cannot be changed or deleted")


class Reservation(TenantScoped, Base):
    """Units held for an order line until shipped (committed) or given back (released)."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        Index(None, "tenant_id", "reference_type", "reference_id"),
        Index(None, "tenant_id", "sku_id", "status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    quantity: Mapped[int]
    status: Mapped[ReservationStatus] = mapped_column(
        Enum(ReservationStatus, native_enum=False, length=20), default=ReservationStatus.ACTIVE
    )
    reference_type: Mapped[str] = mapped_column(String(40))
    reference_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]


class ReorderPolicy(TenantScoped, Base):
    """When to reorder a SKU: computed from demand by a nightly job, or set by hand."""

    __tablename__ = "reorder_policies"

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    lead_time_days: Mapped[int | None]
    """Days from ordering to receiving; None means the tenant's default lead time."""
    avg_daily_demand: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    demand_std_dev: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    safety_stock: Mapped[int] = mapped_column(default=0)
    computed_reorder_point: Mapped[int] = mapped_column(default=0)
    manual_reorder_point: Mapped[int | None]
    """Set by staff; wins over the computed point while set."""
    computed_at: Mapped[dt.datetime | None]

    @property
    def reorder_point(self) -> int:
        if self.manual_reorder_point is not None:
            return self.manual_reorder_point
        return self.computed_reorder_point


class StockAlert(TenantScoped, Base):
    """A SKU whose available stock fell below its reorder point, with a suggested quantity."""

    __tablename__ = "stock_alerts"
    __table_args__ = (Index(None, "tenant_id", "status", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    status: Mapped[AlertStatus] = mapped_column(
        Enum(AlertStatus, native_enum=False, length=20), default=AlertStatus.OPEN
    )
    available: Mapped[int]
    reorder_point: Mapped[int]
    suggested_qty: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]


class ChannelStock(TenantScoped, Base):
    """A dealer's latest reported stock of a SKU and its recent sell-through.

    Days of cover = on hand ÷ average daily sales over the reported period;
    above the tenant's threshold the dealer is overstocked on that SKU.
    """

    __tablename__ = "channel_stock"
    __table_args__ = (Index(None, "tenant_id", "sku_id"),)

    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealers.id", ondelete="CASCADE"), primary_key=True
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    on_hand: Mapped[int]
    sold_qty: Mapped[int]
    period_days: Mapped[int]
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def avg_daily_sales(self) -> Decimal:
        return Decimal(self.sold_qty) / Decimal(max(self.period_days, 1))

    @property
    def days_of_cover(self) -> Decimal | None:
        """None when nothing sold: any stock then covers forever."""
        daily = self.avg_daily_sales
        if daily == 0:
            return None
        return (Decimal(self.on_hand) / daily).quantize(Decimal("0.1"))


class ChannelStockReport(TenantScoped, Base):
    """One line of what a dealer reported, kept as history (form, upload or API)."""

    __tablename__ = "channel_stock_reports"
    __table_args__ = (Index(None, "tenant_id", "dealer_id", "sku_id", "reported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    on_hand: Mapped[int]
    sold_qty: Mapped[int]
    period_days: Mapped[int]
    source: Mapped[str] = mapped_column(String(20))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
