"""Carts, saved lists and orders: what a dealer wants, and what the brand agreed to ship.

An :class:`Order` is a frozen copy of what was agreed at submission: each
:class:`OrderLine` keeps the codes, names and every price component it had
then, so later catalog or price changes never rewrite an order. Its status moves
only through :mod:`dinghuo.core.orders.states`; every move and every review
decision is an :class:`OrderActivity` row (the timeline). Stock is held per
:class:`OrderAllocation` (a line's units in one warehouse), each backed by one
inventory reservation whose reference is ``("order_allocation", allocation id)``.
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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import Base, TenantScoped, utcnow


class ReviewStep(enum.StrEnum):
    """A brand-side check an order passes before approval, in this order when enabled."""

    SALES = "sales"
    FINANCE = "finance"
    WAREHOUSE = "warehouse"


class ReviewOutcome(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    AUTO_APPROVED = "auto_approved"


class AllocationStatus(enum.StrEnum):
    RESERVED = "reserved"
    """Units held in the warehouse for this line (an ACTIVE inventory reservation)."""
    BACKORDERED = "backordered"
    """Units promised but not in stock; no reservation yet."""
    SHIPPED = "shipped"
    """Reservation committed by a shipment."""
    RELEASED = "released"
    """Given back (cancelled, rejected, changed, re-allocated)."""


class Cart(TenantScoped, Base):
    """One user's cart for one dealer (a sales rep has one per dealer they order for)."""

    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.position"
    )


class CartLine(TenantScoped, Base):
    """A SKU and quantity in a cart, with the unit price the user last saw (stale-cart check)."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "cart_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    seen_unit_price: Mapped[Decimal | None]
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")


class RequisitionList(TenantScoped, Base):
    """A dealer's saved list of SKUs and quantities for repeat orders."""

    __tablename__ = "requisition_lists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dealer_id", "name"),
        Index(None, "tenant_id", "dealer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[RequisitionListItem]] = relationship(
        back_populates="requisition_list",
        cascade="all, delete-orphan",
        order_by="RequisitionListItem.position",
    )


class RequisitionListItem(TenantScoped, Base):
    __tablename__ = "requisition_list_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "list_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("requisition_lists.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    requisition_list: Mapped[RequisitionList] = relationship(back_populates="items")


class NumberSequence(TenantScoped, Base):
    """The last number issued per tenant and kind (``order``, ``return``), bumped under a row
    lock so numbers are sequential and gap-free per tenant."""

    __tablename__ = "number_sequences"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Order(TenantScoped, Base):
    """A dealer's order: header, frozen totals, checkout choices and where it stands."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "created_by_id", "idempotency_key"),
        Index(None, "tenant_id", "status", "id"),
        Index(None, "tenant_id", "dealer_id", "id"),
        Index(None, "tenant_id", "review_step", "status"),
        Index(None, "tenant_id", "submitted_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("freight >= 0", name="freight_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    """Human-readable and sequential per tenant, e.g. ``SO-000123``."""
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=30), default=OrderStatus.DRAFT
    )
    review_step: Mapped[ReviewStep | None] = mapped_column(
        Enum(ReviewStep, native_enum=False, length=20)
    )
    """The brand-side step the order waits at while SUBMITTED; ``None`` otherwise."""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """Who built and submitted it: a dealer user, or staff ordering on the dealer's behalf."""
    placed_by_staff: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the submitted content; a reused key with other content is refused."""

    po_number: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    requested_delivery_date: Mapped[dt.date | None]
    ship_to_address_id: Mapped[int | None] = mapped_column(
        ForeignKey("dealer_addresses.id", ondelete="SET NULL")
    )
    ship_to: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The address as it was at submission (recipient, phone, province, city, …)."""
    delivery_method: Mapped[str] = mapped_column(String(100), default="")
    """``<carrier plugin>:<service>``, or ``pickup``."""
    delivery_label: Mapped[str] = mapped_column(String(200), default="")
    payment_terms: Mapped[str] = mapped_column(String(20), default="prepaid")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    list_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """Σ list (MSRP) price × quantity, for showing the dealer's saving."""
    subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """Σ dealer price × quantity, before adjustments."""
    adjustments_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """Line and order adjustments (negative for discounts)."""
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    """Order-level adjustments: ``{"source", "code", "label", "amount"}``."""
    tax_rate: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    tax_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    freight: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"))

    needs_dealer_approval: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    shipped_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    """Bumped on every change, so a stale edit (If-Match / form) is refused."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )
    activities: Mapped[list[OrderActivity]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderActivity.id"
    )
    reviews: Mapped[list[OrderReview]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderReview.id"
    )


class OrderLine(TenantScoped, Base):
    """One SKU of an order with its prices as frozen at submission."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", "line_no"),
        Index(None, "tenant_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("shipped_quantity >= 0", name="shipped_not_negative"),
        CheckConstraint("shipped_quantity <= quantity", name="shipped_within_quantity"),
        CheckConstraint("returned_quantity <= shipped_quantity", name="returned_within_shipped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    sku_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    """Product name and variant as the dealer saw them, e.g. "Mate 60 Pro 雅丹黑 12+512G"."""
    quantity: Mapped[int]
    list_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """The SKU's MSRP: what the dealer's saving is measured against."""
    base_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    unit_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """The dealer's resolved price per unit, before adjustments."""
    price_source: Mapped[str] = mapped_column(String(20), default="base")
    price_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("price_lists.id", ondelete="SET NULL")
    )
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    """``{"source", "code", "label", "amount"}``: each adjustment with its explanation."""
    adjustments_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """unit_price × quantity."""
    tax: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """subtotal + adjustments (+ tax when prices exclude it)."""
    shipped_quantity: Mapped[int] = mapped_column(default=0)
    returned_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    allocations: Mapped[list[OrderAllocation]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="OrderAllocation.id"
    )


class OrderAllocation(TenantScoped, Base):
    """Units of a line held in (or promised from) one warehouse."""

    __tablename__ = "order_allocations"
    __table_args__ = (
        Index(None, "tenant_id", "order_line_id"),
        Index(None, "tenant_id", "status", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT")
    )
    """``None`` while BACKORDERED and no warehouse is chosen."""
    quantity: Mapped[int]
    status: Mapped[AllocationStatus] = mapped_column(
        Enum(AllocationStatus, native_enum=False, length=20)
    )
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_reservations.id", ondelete="RESTRICT")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    line: Mapped[OrderLine] = relationship(back_populates="allocations")


class OrderActivity(TenantScoped, Base):
    """One entry of an order's timeline: a status move, a review decision, a change, a note.

    Append-only in practice: written by the services, never edited.
    """

    __tablename__ = "order_activities"
    __table_args__ = (Index(None, "tenant_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    """``status``, ``review``, ``change``, ``shipment``, ``tracking``, ``return``, ``note``."""
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(1000), default="")
    """Why (the reason given) or what (a short description of the change)."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    visible_to_dealer: Mapped[bool] = mapped_column(default=True)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="activities")


class OrderReview(TenantScoped, Base):
    """One step of the brand's review pipeline for one order, and its decision."""

    __tablename__ = "order_reviews"
    __table_args__ = (UniqueConstraint("tenant_id", "order_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    step: Mapped[ReviewStep] = mapped_column(Enum(ReviewStep, native_enum=False, length=20))
    outcome: Mapped[ReviewOutcome] = mapped_column(
        Enum(ReviewOutcome, native_enum=False, length=20), default=ReviewOutcome.PENDING
    )
    rule: Mapped[str] = mapped_column(String(200), default="")
    """For AUTO_APPROVED: which auto-approval rule let it through."""
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(String(1000), default="")

    order: Mapped[Order] = relationship(back_populates="reviews")
