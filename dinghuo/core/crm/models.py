"""Dealer accounts: the brand's customers and everything ordering needs about them."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dinghuo.db import Base, TenantScoped, utcnow

if TYPE_CHECKING:
    from dinghuo.platform.auth.models import User


class DealerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class PaymentTerms(enum.StrEnum):
    PREPAID = "prepaid"
    NET15 = "net15"
    NET30 = "net30"
    NET60 = "net60"


class AddressKind(enum.StrEnum):
    SHIP_TO = "ship_to"
    BILL_TO = "bill_to"


class DealerGroup(TenantScoped, Base):
    """A named set of dealers (e.g. "East China key accounts") for prices and visibility."""

    __tablename__ = "dealer_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))


class Dealer(TenantScoped, Base):
    """A dealer account: the company that orders, with its terms, rep, groups and addresses."""

    __tablename__ = "dealers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(None, "tenant_id", "status"),
        Index(None, "tenant_id", "sales_rep_id"),
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str] = mapped_column(String(20), default="C")
    region: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[DealerStatus] = mapped_column(
        Enum(DealerStatus, native_enum=False, length=20), default=DealerStatus.ACTIVE
    )
    credit_limit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    buyer_approval_limit: Mapped[Decimal | None]
    """The dealer's own rule: a buyer's order above this total waits for a dealer admin."""
    payment_terms: Mapped[PaymentTerms] = mapped_column(
        Enum(PaymentTerms, native_enum=False, length=20), default=PaymentTerms.PREPAID
    )
    sales_rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sales_rep: Mapped[User | None] = relationship(foreign_keys=[sales_rep_id])

    memberships: Mapped[list[DealerGroupMember]] = relationship(
        cascade="all, delete-orphan", order_by="DealerGroupMember.group_id"
    )
    addresses: Mapped[list[DealerAddress]] = relationship(
        back_populates="dealer", cascade="all, delete-orphan", order_by="DealerAddress.id"
    )
    contacts: Mapped[list[DealerContact]] = relationship(
        back_populates="dealer", cascade="all, delete-orphan", order_by="DealerContact.id"
    )

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_en

    @property
    def groups(self) -> list[DealerGroup]:
        return [m.group for m in self.memberships]

    @property
    def is_active(self) -> bool:
        return self.status == DealerStatus.ACTIVE


class DealerGroupMember(TenantScoped, Base):
    """A dealer's membership of a group (a mapped row so it carries its tenant)."""

    __tablename__ = "dealer_group_members"
    __table_args__ = (Index(None, "tenant_id", "group_id"),)

    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealers.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("dealer_groups.id", ondelete="CASCADE"), primary_key=True
    )

    group: Mapped[DealerGroup] = relationship(lazy="joined")


class DealerAddress(TenantScoped, Base):
    """A ship-to or bill-to address; at most one of each kind is a dealer's default."""

    __tablename__ = "dealer_addresses"
    __table_args__ = (
        Index(None, "tenant_id", "dealer_id"),
        Index(
            "uq_dealer_addresses_one_default_per_kind",
            "tenant_id",
            "dealer_id",
            "kind",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    kind: Mapped[AddressKind] = mapped_column(Enum(AddressKind, native_enum=False, length=20))
    label: Mapped[str] = mapped_column(String(100), default="")
    recipient: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    district: Mapped[str] = mapped_column(String(50), default="")
    street: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    is_default: Mapped[bool] = mapped_column(default=False)

    dealer: Mapped[Dealer] = relationship(back_populates="addresses")


class DealerContact(TenantScoped, Base):
    """A person at the dealer the brand's staff talk to (owner, purchasing, finance)."""

    __tablename__ = "dealer_contacts"
    __table_args__ = (Index(None, "tenant_id", "dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    dealer: Mapped[Dealer] = relationship(back_populates="contacts")
