"""Migrate a bench database and seed tenants of uneven sizes.

Tenants are onboarded through the tenants service (owner, audit entry and
all) and their owner's bearer token is issued by the auth service; the bulk
rows (dealers, users, extra tokens) are inserted in one ORM bulk ``INSERT``
per table and tenant, through the app role with the tenant bound, so Row-Level
Security checks every row as it would in production.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from dinghuo.app import create_app
from dinghuo.config import Settings, load_settings
from dinghuo.core.crm.models import Dealer
from dinghuo.db import utcnow
from dinghuo.migrate import upgrade
from dinghuo.platform.auth.models import ApiToken, Role, User
from dinghuo.platform.auth.service import digest, issue_token, new_secret
from dinghuo.platform.tenants.service import create_tenant

MEASURED_TENANT = "gamma"
SEED_PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class TenantSize:
    slug: str
    users: int
    dealers: int


# Uneven on purpose: the measured tenant sits between a tiny and a much larger one,
# so a query that forgot its tenant filter would read (and be slowed by) the others.
TENANT_SIZES = (
    TenantSize("alpha", 40, 4),
    TenantSize("beta", 600, 60),
    TenantSize(MEASURED_TENANT, 3000, 300),
    TenantSize("delta", 9000, 900),
    TenantSize("epsilon", 150, 15),
)

STAFF = (Role.ADMIN, Role.SALES, Role.WAREHOUSE, Role.FINANCE)
SURNAMES = "王李张刘陈杨黄赵吴周"


@dataclass(frozen=True)
class Seeded:
    """What the load needs: the measured tenant, a token of its owner, the row counts."""

    tenant_slug: str
    tenant_id: int
    token: str
    users: dict[str, int]


def bench_settings(app_url: str, owner_url: str, app_role: str, redis_url: str) -> Settings:
    """Settings as the bench's gunicorn sees them (cheap password hashing for seeding)."""
    return load_settings(
        {
            "database_url": app_url,
            "migration_database_url": owner_url,
            "app_db_role": app_role,
            "redis_url": redis_url,
            "secret_key": "bench-secret-key-not-for-production",
            "instance_dir": Path(tempfile.gettempdir()) / "dinghuo-bench-instance",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
            "log_level": "WARNING",
            "autoload_plugins": False,
        }
    )


def seed(settings: Settings) -> Seeded:
    """Migrate to head, then onboard every tenant of :data:`TENANT_SIZES`."""
    upgrade(settings)
    app = create_app(settings)
    db = app.extensions["dinghuo.db"]
    counts: dict[str, int] = {}
    measured: tuple[int, str] | None = None
    try:
        for size in TENANT_SIZES:
            with db.transaction() as session:
                onboarded = create_tenant(
                    session,
                    None,
                    slug=size.slug,
                    name=f"{size.slug.title()} 电子",
                    owner_email=f"owner@{size.slug}.example.com",
                    owner_password=SEED_PASSWORD,
                )
                tenant_id = onboarded.tenant.id
                secret, _token = issue_token(
                    session, ttl=dt.timedelta(days=7), user=onboarded.owner, name="bench"
                )
                dealer_ids = list(
                    session.scalars(
                        insert(Dealer).returning(Dealer.id), _dealer_rows(tenant_id, size)
                    )
                )
                user_ids = list(
                    session.scalars(
                        insert(User).returning(User.id), _user_rows(tenant_id, size, dealer_ids)
                    )
                )
                session.execute(insert(ApiToken), _token_rows(tenant_id, user_ids))
            counts[size.slug] = size.users + 1
            if size.slug == MEASURED_TENANT:
                measured = (tenant_id, secret)
    finally:
        db.dispose()
    assert measured is not None
    return Seeded(MEASURED_TENANT, measured[0], measured[1], counts)


def _dealer_rows(tenant_id: int, size: TenantSize) -> list[dict[str, object]]:
    return [
        {
            "tenant_id": tenant_id,
            "code": f"D{i:05d}",
            "name_zh": f"{SURNAMES[i % len(SURNAMES)]}氏数码 {i}",
            "name_en": f"Digital {i}",
            "tier": "ABC"[i % 3],
            "region": ("华东", "华南", "华北", "西南")[i % 4],
            "credit_limit": Decimal(10000 + i),
        }
        for i in range(size.dealers)
    ]


def _user_rows(tenant_id: int, size: TenantSize, dealer_ids: list[int]) -> list[dict[str, object]]:
    now = utcnow()
    rows: list[dict[str, object]] = []
    for i in range(size.users):
        if i % 10 == 0:
            role, dealer_id = STAFF[i // 10 % len(STAFF)], None
        else:
            role = Role.DEALER_ADMIN if i % 10 == 1 else Role.BUYER
            dealer_id = dealer_ids[i % len(dealer_ids)]
        rows.append(
            {
                "tenant_id": tenant_id,
                # Spread over the alphabet so the first page is not the newest rows.
                "email": f"{'abcdefghijklmnopqrstuvwxyz'[i * 7 % 26]}{i:05d}@{size.slug}.example.com",
                "name": f"{SURNAMES[i % len(SURNAMES)]}{i}",
                "role": role,
                "dealer_id": dealer_id,
                "created_at": now - dt.timedelta(minutes=i),
                "last_login_at": now - dt.timedelta(hours=i % 48) if i % 3 == 0 else None,
            }
        )
    return rows


def _token_rows(tenant_id: int, user_ids: list[int]) -> list[dict[str, object]]:
    """Tokens for one user in ten, so the token lookup searches a realistic index."""
    expires = utcnow() + dt.timedelta(days=7)
    return [
        {
            "tenant_id": tenant_id,
            "token_hash": digest("dht_" + new_secret()),
            "user_id": user_id,
            "name": "seed",
            "expires_at": expires,
        }
        for user_id in user_ids[::10]
    ]
