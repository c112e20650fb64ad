"""What the brand sells: products (SPU), their SKUs, and how they are organised.

A product is what a dealer thinks of as one model ("Mate 60 Pro"); its SKUs
are the orderable variants over the product's axes (colour × memory). Prices
live in :mod:`dinghuo.core.pricing`, stock in :mod:`dinghuo.core.inventory`.
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

from dinghuo.db import Base, TenantScoped, utcnow


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DISCONTINUED = "discontinued"


class SpecKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"


class RelationKind(enum.StrEnum):
    ACCESSORY = "accessory"
    REPLACEMENT = "replacement"


class VisibilityScope(enum.StrEnum):
    TIER = "tier"
    GROUP = "group"
    DEALER = "dealer"


class Category(TenantScoped, Base):
    """A node of the category tree; siblings are ordered by ``position``."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(None, "tenant_id", "parent_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id])
    spec_attributes: Mapped[list[SpecAttribute]] = relationship(
        back_populates="category", cascade="all, delete-orphan", order_by="SpecAttribute.position"
    )

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_en


class Brand(TenantScoped, Base):
    """A brand the tenant sells (its own and, for distributors, others')."""

    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))


class Tag(TenantScoped, Base):
    """A free label on products ("新品", "5G", "爆款"), used as a search filter."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class SpecAttribute(TenantScoped, Base):
    """One line of a category's specification template (e.g. phones: screen size)."""

    __tablename__ = "spec_attributes"
    __table_args__ = (UniqueConstraint("tenant_id", "category_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[SpecKind] = mapped_column(
        Enum(SpecKind, native_enum=False, length=10), default=SpecKind.TEXT
    )
    unit: Mapped[str] = mapped_column(String(20), default="")
    choices: Mapped[list[str]] = mapped_column(default=list)
    filterable: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    category: Mapped[Category] = relationship(back_populates="spec_attributes")


class Product(TenantScoped, Base):
    """A model the brand sells (SPU); dealers order its SKUs."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(None, "tenant_id", "category_id"),
        Index(None, "tenant_id", "brand_id"),
        Index(None, "tenant_id", "status"),
        Index(None, "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    model_number: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, native_enum=False, length=20), default=ProductStatus.DRAFT
    )
    variant_axes: Mapped[list[str]] = mapped_column(default=list)
    """Names of the attributes SKUs vary over, in display order (e.g. ["颜色", "内存"])."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    brand: Mapped[Brand | None] = relationship()
    category: Mapped[Category | None] = relationship()
    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Sku.position"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    specs: Mapped[list[ProductSpec]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    tag_links: Mapped[list[ProductTag]] = relationship(cascade="all, delete-orphan")
    visibility_rules: Mapped[list[ProductVisibility]] = relationship(cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_en

    @property
    def tags(self) -> list[Tag]:
        return [link.tag for link in self.tag_links]


class Sku(TenantScoped, Base):
    """An orderable variant of a product, with what ordering and freight need."""

    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(None, "tenant_id", "product_id"),
        Index(None, "tenant_id", "barcode"),
        CheckConstraint("moq >= 1", name="moq_positive"),
        CheckConstraint("order_multiple >= 1", name="order_multiple_positive"),
        CheckConstraint("base_price >= 0", name="base_price_not_negative"),
        CheckConstraint("msrp >= 0", name="msrp_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    barcode: Mapped[str] = mapped_column(String(20), default="")
    variant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Axis name -> value, e.g. {"颜色": "雅丹黑", "内存": "12+512G"}."""
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, native_enum=False, length=20), default=ProductStatus.ACTIVE
    )
    moq: Mapped[int] = mapped_column(default=1)
    order_multiple: Mapped[int] = mapped_column(default=1)
    weight_g: Mapped[int | None]
    length_mm: Mapped[int | None]
    width_mm: Mapped[int | None]
    height_mm: Mapped[int | None]
    msrp: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    base_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    """The wholesale price before any price list (see :mod:`dinghuo.core.pricing`)."""
    sales_qty: Mapped[int] = mapped_column(default=0)
    """Units shipped to dealers, kept by ordering; the "sales" sort of search."""
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="skus")

    @property
    def variant_label(self) -> str:
        return " ".join(str(v) for v in self.variant.values())

    @property
    def display_name(self) -> str:
        label = self.variant_label
        return f"{self.product.display_name} {label}".strip()


class ProductImage(TenantScoped, Base):
    """An uploaded picture of a product; the one with the lowest position is the main one."""

    __tablename__ = "product_images"
    __table_args__ = (Index(None, "tenant_id", "product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(200), default="")

    product: Mapped[Product] = relationship(back_populates="images")


class ProductSpec(TenantScoped, Base):
    """A product's value for one attribute of its category's template."""

    __tablename__ = "product_specs"
    __table_args__ = (Index(None, "tenant_id", "attribute_id", "value"),)

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    attribute_id: Mapped[int] = mapped_column(
        ForeignKey("spec_attributes.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(200))

    product: Mapped[Product] = relationship(back_populates="specs")
    attribute: Mapped[SpecAttribute] = relationship(lazy="joined")


class ProductTag(TenantScoped, Base):
    __tablename__ = "product_tags"
    __table_args__ = (Index(None, "tenant_id", "tag_id"),)

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)

    tag: Mapped[Tag] = relationship(lazy="joined")


class ProductRelation(TenantScoped, Base):
    """Another product shown with this one: an accessory, or the model replacing it."""

    __tablename__ = "product_relations"
    __table_args__ = (Index(None, "tenant_id", "related_id"),)

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[RelationKind] = mapped_column(
        Enum(RelationKind, native_enum=False, length=20), primary_key=True
    )

    related: Mapped[Product] = relationship(foreign_keys=[related_id])


class ProductVisibility(TenantScoped, Base):
    """Who may see a product. A product with no rules is visible to every dealer;
    with rules, only to dealers matching at least one (tier, group or the dealer)."""

    __tablename__ = "product_visibility"
    __table_args__ = (Index(None, "tenant_id", "scope", "value"),)

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[VisibilityScope] = mapped_column(
        Enum(VisibilityScope, native_enum=False, length=10), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The tier code, or the group's or dealer's id as text."""


class DealerSkuCode(TenantScoped, Base):
    """A dealer's own code for one of the brand's SKUs (accepted by search and quick order)."""

    __tablename__ = "dealer_sku_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dealer_id", "code"),
        UniqueConstraint("tenant_id", "dealer_id", "sku_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))

    sku: Mapped[Sku] = relationship()


class SearchDocument(TenantScoped, Base):
    """One SKU's searchable text, kept by the catalog service on every change.

    ``text`` is normalised (lower case, full-width folded, spaces collapsed) and
    holds names, model number, codes, barcode, variant values, brand, category,
    tags and spec values. PostgreSQL searches a private mirror of it with a
    pg_trgm GIN index (``search_text_match``, no RLS, unreadable by the app role,
    read only through the SECURITY DEFINER ``dinghuo_search_match``); SQLite an
    FTS5 trigram table mirroring it (see docs/search.md).
    """

    SEARCH_BACKEND_OBJECTS = ("search_text_match", "ix_search_text_match", "search_documents_fts")
    """Prefixes of what migration 0002 makes outside the models for this table."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index(None, "tenant_id", "product_id"),
        Index(None, "tenant_id", "status", "created_at"),
        # The text index is per backend, made by migration 0002 only (see SEARCH_BACKEND_OBJECTS).
    )

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # Copies of the product's filter and sort keys, so one table answers a search.
    status: Mapped[ProductStatus] = mapped_column(Enum(ProductStatus, native_enum=False, length=20))
    """Active only when both the product and the SKU are; else the one that is not."""
    brand_id: Mapped[int | None]
    category_id: Mapped[int | None]
    created_at: Mapped[dt.datetime]
    """The product's creation time: the "newest" sort."""
