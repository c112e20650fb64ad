"""Tenants (brand owners) and the domains that reach them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dinghuo.db import Base, utcnow


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(Base):
    """A brand owner. Not itself tenant-scoped: the platform resolves it."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[TenantStatus] = mapped_column(
        Enum(TenantStatus, native_enum=False, length=20), default=TenantStatus.ACTIVE
    )
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    display_name: Mapped[str] = mapped_column(String(200))
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    logo_path: Mapped[str | None] = mapped_column(String(300))
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="TenantDomain.id"
    )

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantDomain(Base):
    """A custom domain (``order.brand.com``) pointing at a tenant's portal."""

    __tablename__ = "tenant_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    verified: Mapped[bool] = mapped_column(default=False)
    verification_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")
