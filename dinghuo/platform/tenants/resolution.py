"""Which tenant a request is for: subdomain, verified custom domain, or ``X-Tenant``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dinghuo.db import TenantSession
from dinghuo.errors import NotFound
from dinghuo.platform.tenants.models import Tenant, TenantDomain


@dataclass(frozen=True)
class Resolution:
    """``tenant`` is None on the platform's own base domain."""

    tenant: Tenant | None


def resolve(
    session: TenantSession, *, host: str, base_domain: str, tenant_header: str | None
) -> Resolution:
    """Resolve the tenant, or raise NotFound for a name that reaches none.

    The host decides first; ``X-Tenant`` is honoured on the base domain and on
    hosts that name no tenant (API clients calling an internal address), and
    otherwise only when it names the host's own tenant.
    """
    hostname = host.split(":", 1)[0].lower().rstrip(".")
    base = base_domain.lower()
    tenant: Tenant | None = None
    if hostname == base:
        tenant = None
    elif hostname.endswith("." + base):
        slug = hostname.removesuffix("." + base)
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None or "." in slug:
            raise NotFound("No tenant at this address.")
    else:
        tenant = session.scalar(
            select(Tenant)
            .join(TenantDomain)
            .where(TenantDomain.hostname == hostname, TenantDomain.verified.is_(True))
        )
        if tenant is None and not tenant_header:
            raise NotFound("No tenant at this address.")
    if tenant_header:
        named = session.scalar(select(Tenant).where(Tenant.slug == tenant_header.strip().lower()))
        if named is None or (tenant is not None and named.id != tenant.id):
            raise NotFound("No such tenant.")
        tenant = named
    return Resolution(tenant)
