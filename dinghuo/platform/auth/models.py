"""Who can sign in: platform operators, tenant staff, dealer users; their credentials."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    DEALER_ADMIN = "dealer_admin"
    BUYER = "buyer"

    @property
    def is_staff(self) -> bool:
        return self not in (Role.DEALER_ADMIN, Role.BUYER)


class PlatformAdmin(Base):
    """An operator of the platform itself; belongs to no tenant."""

    __tablename__ = "platform_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(TenantScoped, Base):
    """A person of one tenant: brand staff, or a buyer of one of its dealers."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    order_approval_limit: Mapped[int | None] = mapped_column(
        doc="A buyer's own limit in minor units; orders above wait for the dealer admin."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff


class ApiToken(TenantScoped, Base):
    """A bearer credential; only its SHA-256 is stored.

    Issued by login (a user's token) or by the OAuth2 client-credentials grant
    (a client's token, limited to its scopes).
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE")
    )
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class OAuthClient(TenantScoped, Base):
    """An integration (ERP, BI tool) registered by a tenant admin."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class Invitation(TenantScoped, Base):
    """An e-mailed link that lets a new user choose a password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]


class PlatformToken(Base):
    """A platform operator's bearer credential (SHA-256 stored); valid on the base domain only."""

    __tablename__ = "platform_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("platform_admins.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
