"""Onboarding, branding, suspension and domains of tenants."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import Role, User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import create_user
from dinghuo.platform.events.service import emit
from dinghuo.platform.tenants.models import Tenant, TenantDomain, TenantStatus

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "platform", "static", "mail", "app", "console", "status", "docs"}
)
HOSTNAME_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
LOCALES = ("zh-CN", "en")


def validate_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise ValidationFailed.field(
            "slug", "Use 3-40 lowercase letters, digits or dashes, starting with a letter."
        )
    if slug in RESERVED_SLUGS:
        raise ValidationFailed.field("slug", "This name is reserved.")
    return slug


@dataclass(frozen=True)
class Onboarded:
    tenant: Tenant
    owner: User


def create_tenant(
    session: TenantSession,
    actor: Principal | None,
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    locale: str = "zh-CN",
    timezone: str = "Asia/Shanghai",
    currency: str = "CNY",
    display_name: str | None = None,
) -> Onboarded:
    """Create the tenant, its owner and its defaults in one transaction."""
    slug = validate_slug(slug.strip().lower())
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ValidationFailed.field("slug", "This slug is already taken.")
    tenant = Tenant(
        slug=slug,
        name=name,
        display_name=display_name or name,
        locale=locale,
        timezone=timezone,
        currency=currency,
    )
    session.add(tenant)
    session.flush()
    session.bind_tenant(tenant.id)
    owner = create_user(
        session,
        email=owner_email,
        name=owner_name or owner_email.split("@")[0],
        role=Role.OWNER,
        password=owner_password,
    )
    record(session, actor, "tenant.create", "tenant", tenant.id, {"slug": slug})
    emit(session, "tenant.created", "tenant", tenant.id, {"slug": slug, "name": name})
    return Onboarded(tenant, owner)


def get_tenant(session: TenantSession, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


def list_tenants(session: TenantSession) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.slug)))


def set_status(
    session: TenantSession, actor: Principal, tenant_id: int, status: TenantStatus, reason: str = ""
) -> Tenant:
    tenant = get_tenant(session, tenant_id)
    tenant.status = status
    tenant.suspended_reason = reason or None if status == TenantStatus.SUSPENDED else None
    session.bind_tenant(tenant.id)
    record(session, actor, f"tenant.{status.value}", "tenant", tenant.id, {"reason": reason})
    return tenant


BRANDING_FIELDS = ("display_name", "primary_color", "welcome_text", "locale", "timezone")


def update_branding(
    session: TenantSession, actor: Principal, tenant: Tenant, changes: dict[str, Any]
) -> Tenant:
    for key, value in changes.items():
        if key not in BRANDING_FIELDS:
            raise ValidationFailed.field(key, "Unknown field.")
        setattr(tenant, key, value)
    record(session, actor, "tenant.branding", "tenant", tenant.id, changes)
    return tenant


def set_logo(session: TenantSession, actor: Principal, tenant: Tenant, relative_path: str) -> None:
    tenant.logo_path = relative_path
    record(session, actor, "tenant.logo", "tenant", tenant.id)


def add_domain(
    session: TenantSession, actor: Principal, tenant: Tenant, hostname: str
) -> TenantDomain:
    hostname = hostname.strip().lower().rstrip(".")
    if not HOSTNAME_RE.match(hostname):
        raise ValidationFailed.field("hostname", "Not a valid domain name.")
    if session.scalar(select(TenantDomain.id).where(TenantDomain.hostname == hostname)):
        raise ValidationFailed.field("hostname", "This domain is already in use.")
    domain = TenantDomain(
        tenant_id=tenant.id, hostname=hostname, verification_token=secrets.token_hex(16)
    )
    session.add(domain)
    session.flush()
    record(session, actor, "tenant.domain.add", "tenant_domain", domain.id, {"hostname": hostname})
    return domain


def verify_domain(
    session: TenantSession, actor: Principal, tenant: Tenant, domain_id: int
) -> TenantDomain:
    """Mark a domain verified (the operator has checked its DNS TXT record)."""
    domain = session.scalar(
        select(TenantDomain).where(
            TenantDomain.id == domain_id, TenantDomain.tenant_id == tenant.id
        )
    )
    if domain is None:
        raise NotFound("No such domain.")
    session.bind_tenant(tenant.id)
    domain.verified = True
    record(session, actor, "tenant.domain.verify", "tenant_domain", domain.id)
    return domain


def count_tenants(session: TenantSession) -> int:
    return session.scalar(select(func.count(Tenant.id))) or 0
