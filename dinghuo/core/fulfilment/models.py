"""Shipments, the serial numbers they carried, their tracking, and returns.

A :class:`Shipment` ships units of one order from one warehouse through one
carrier; shipping commits the allocations' reservations in the inventory
ledger. Every unit with a serial number/IMEI gets a :class:`ShippedSerial`,
unique per tenant, so "which dealer got this IMEI, and when" is one lookup.
A :class:`ReturnRequest` (RMA) takes delivered units back; restocking goes
through the ledger as a RETURN movement.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dinghuo.db import Base, TenantScoped, utcnow


class ShipmentStatus(enum.StrEnum):
    PENDING = "pending"
    """Created and packed, not yet handed to the carrier."""
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class ReturnStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    """Units are back; resalable ones restocked through the ledger."""


class Shipment(TenantScoped, Base):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index(None, "tenant_id", "order_id"),
        Index(None, "tenant_id", "carrier", "tracking_number"),
        CheckConstraint("freight_cost >= 0", name="freight_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    """The order number with a suffix: ``SO-000123-1``."""
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    status: Mapped[ShipmentStatus] = mapped_column(
        Enum(ShipmentStatus, native_enum=False, length=20), default=ShipmentStatus.PENDING
    )
    carrier: Mapped[str] = mapped_column(String(100), default="")
    """The carrier plugin's name (``manual`` when staff type the tracking number)."""
    service: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    label_path: Mapped[str | None] = mapped_column(String(300))
    """Where the carrier's label is kept in the tenant's storage."""
    label_content_type: Mapped[str | None] = mapped_column(String(50))
    freight_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    parcels: Mapped[int] = mapped_column(default=1)
    weight_grams: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    shipped_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    delivery_confirmed_by: Mapped[str] = mapped_column(String(20), default="")
    """``dealer``, ``carrier`` or ``staff``."""

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )
    tracking_events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="(TrackingEvent.occurred_at, TrackingEvent.id)",
    )


class ShipmentLine(TenantScoped, Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (
        Index(None, "tenant_id", "shipment_id"),
        Index(None, "tenant_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"))
    allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_allocations.id", ondelete="RESTRICT")
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    quantity: Mapped[int]

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    serials: Mapped[list[ShippedSerial]] = relationship(
        back_populates="shipment_line", cascade="all, delete-orphan", order_by="ShippedSerial.id"
    )


class ShippedSerial(TenantScoped, Base):
    """One serial number or IMEI of one shipped unit: unique per tenant, searchable."""

    __tablename__ = "shipped_serials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "serial"),
        Index(None, "tenant_id", "dealer_id"),
        Index(None, "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64))
    shipment_line_id: Mapped[int] = mapped_column(
        ForeignKey("shipment_lines.id", ondelete="CASCADE")
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="RESTRICT"))
    shipped_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    returned_at: Mapped[dt.datetime | None]

    shipment_line: Mapped[ShipmentLine] = relationship(back_populates="serials")


class TrackingEvent(TenantScoped, Base):
    """A step of a shipment's journey, from the carrier or entered by staff."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        Index(None, "tenant_id", "shipment_id", "occurred_at"),
        UniqueConstraint("tenant_id", "shipment_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(30))
    """``picked_up``, ``in_transit``, ``out_for_delivery``, ``delivered``, ``exception``."""
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(100))
    """The carrier plugin's name, or ``staff``."""
    external_id: Mapped[str | None] = mapped_column(String(100))
    """The carrier's id for the event, so a re-fetched or re-pushed event is stored once."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    shipment: Mapped[Shipment] = relationship(back_populates="tracking_events")


class ReturnRequest(TenantScoped, Base):
    """An RMA: delivered units a dealer sends back, with why, and what became of them."""

    __tablename__ = "return_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index(None, "tenant_id", "order_id"),
        Index(None, "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    """``RMA-000012``, sequential per tenant."""
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="RESTRICT"))
    status: Mapped[ReturnStatus] = mapped_column(
        Enum(ReturnStatus, native_enum=False, length=20), default=ReturnStatus.REQUESTED
    )
    reason: Mapped[str] = mapped_column(String(1000))
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime | None]
    credit_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_request", cascade="all, delete-orphan", order_by="ReturnLine.id"
    )


class ReturnLine(TenantScoped, Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        Index(None, "tenant_id", "return_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500), default="")
    serials: Mapped[list[str]] = mapped_column(default=list)
    resalable: Mapped[bool] = mapped_column(default=True)
    """Resalable units go back on hand (RETURN movement); the rest are written off."""
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT")
    )
    restock_details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    return_request: Mapped[ReturnRequest] = relationship(back_populates="lines")
