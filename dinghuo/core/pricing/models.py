"""Wholesale prices: each SKU's base price, price lists and dealers' contract prices.

The price a dealer pays is resolved by one function,
:func:`dinghuo.core.pricing.service.resolve_prices`, whose docstring states the
precedence; carts and orders use the same function.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dinghuo.db import Base, TenantScoped, utcnow

if TYPE_CHECKING:
    from dinghuo.core.catalog.models import Sku


class PriceListKind(enum.StrEnum):
    LIST = "list"
    """A price list assigned to tiers, groups or dealers."""
    CONTRACT = "contract"
    """One dealer's negotiated prices; beats every list."""


class AssignmentScope(enum.StrEnum):
    TIER = "tier"
    GROUP = "group"
    DEALER = "dealer"


class PriceList(TenantScoped, Base):
    """A set of SKU prices valid for a period, for the dealers it is assigned to."""

    __tablename__ = "price_lists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(None, "tenant_id", "kind", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PriceListKind] = mapped_column(
        Enum(PriceListKind, native_enum=False, length=20), default=PriceListKind.LIST
    )
    priority: Mapped[int] = mapped_column(default=100)
    """Among lists of the same specificity, the lower number wins."""
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    """Inclusive; dates are in the tenant's time zone."""
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    assignments: Mapped[list[PriceListAssignment]] = relationship(
        back_populates="price_list", cascade="all, delete-orphan"
    )
    items: Mapped[list[PriceListItem]] = relationship(
        back_populates="price_list", cascade="all, delete-orphan"
    )


class PriceListAssignment(TenantScoped, Base):
    """Who a price list applies to: a tier, a dealer group or one dealer."""

    __tablename__ = "price_list_assignments"
    __table_args__ = (Index(None, "tenant_id", "scope", "value"),)

    price_list_id: Mapped[int] = mapped_column(
        ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[AssignmentScope] = mapped_column(
        Enum(AssignmentScope, native_enum=False, length=10), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The tier code, or the group's or dealer's id as text."""

    price_list: Mapped[PriceList] = relationship(back_populates="assignments")


class PriceListItem(TenantScoped, Base):
    """A SKU's unit price in a list from ``min_qty`` units up (quantity breaks)."""

    __tablename__ = "price_list_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "price_list_id", "sku_id", "min_qty"),
        Index(None, "tenant_id", "sku_id"),
        CheckConstraint("min_qty >= 1", name="min_qty_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    min_qty: Mapped[int] = mapped_column(default=1)
    price: Mapped[Decimal]

    price_list: Mapped[PriceList] = relationship(back_populates="items")
    sku: Mapped[Sku] = relationship()
