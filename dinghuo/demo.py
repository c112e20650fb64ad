"""The demo brand: a 3C brand owner with staff, dealers and a platform operator.

``dinghuo demo`` (and ``make run``) call :func:`seed_demo` so a fresh checkout
shows a populated console and portal. Everything is created through the same
services the API uses, so the demo data obeys the same rules (audit entries,
tenant guard, validation). Seeding is idempotent: each object is looked up by
its natural key first, so running it again creates nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from dinghuo.core.crm.models import Dealer, PaymentTerms
from dinghuo.core.crm.service import create_dealer
from dinghuo.db import TenantSession
from dinghuo.platform.auth.models import PlatformAdmin, Role, User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import create_platform_admin, create_user, principal_for_user
from dinghuo.platform.tenants.models import Tenant
from dinghuo.platform.tenants.service import create_tenant, update_branding

DEMO_SLUG = "demo"
DEMO_NAME = "鼎新数码"
DEMO_DISPLAY_NAME = "鼎新数码 Dingxin Digital"
DEMO_PASSWORD = "dinghuo-demo"
PLATFORM_EMAIL = "ops@dinghuo.example.com"
PLATFORM_PASSWORD = "dinghuo-platform"
MAIL_DOMAIN = "dingxin.example.com"

OWNER_EMAIL = f"owner@{MAIL_DOMAIN}"
OWNER_NAME = "王建国 Wang Jianguo"
STAFF = (
    (Role.SALES, f"sales@{MAIL_DOMAIN}", "李娜 Li Na"),
    (Role.WAREHOUSE, f"warehouse@{MAIL_DOMAIN}", "张伟 Zhang Wei"),
    (Role.FINANCE, f"finance@{MAIL_DOMAIN}", "刘芳 Liu Fang"),
)


@dataclass(frozen=True)
class DemoDealer:
    """One dealer of the demo brand, with the two people who order for it."""

    code: str
    name_zh: str
    name_en: str
    tier: str
    region: str
    credit_limit: Decimal
    payment_terms: PaymentTerms
    mailbox: str
    admin_name: str
    buyer_name: str


DEALERS = (
    DemoDealer(
        code="HZ001",
        name_zh="杭州星辰数码贸易有限公司",
        name_en="Hangzhou Xingchen Digital Trading",
        tier="A",
        region="华东 East China",
        credit_limit=Decimal("500000.00"),
        payment_terms=PaymentTerms.NET30,
        mailbox="xingchen.example.com",
        admin_name="陈明 Chen Ming",
        buyer_name="周婷 Zhou Ting",
    ),
    DemoDealer(
        code="GZ002",
        name_zh="广州天河讯通电子有限公司",
        name_en="Guangzhou Tianhe Xuntong Electronics",
        tier="B",
        region="华南 South China",
        credit_limit=Decimal("200000.00"),
        payment_terms=PaymentTerms.NET15,
        mailbox="xuntong.example.com",
        admin_name="黄志强 Huang Zhiqiang",
        buyer_name="林晓燕 Lin Xiaoyan",
    ),
    DemoDealer(
        code="CD003",
        name_zh="成都蜀联通讯器材有限公司",
        name_en="Chengdu Shulian Communications",
        tier="C",
        region="西南 Southwest China",
        credit_limit=Decimal("50000.00"),
        payment_terms=PaymentTerms.PREPAID,
        mailbox="shulian.example.com",
        admin_name="杨洋 Yang Yang",
        buyer_name="吴磊 Wu Lei",
    ),
)

WELCOME_TEXT = (
    "欢迎来到鼎新数码经销商订货平台：新品、库存与促销一目了然。\n"
    "Welcome to Dingxin Digital's dealer ordering portal: new products, stock and promotions "
    "at a glance."
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    name: str
    dealer: str = ""


@dataclass
class DemoInfo:
    """What was seeded, and how to sign in to it."""

    tenant_id: int
    tenant_slug: str
    tenant_name: str
    password: str
    platform_email: str
    platform_password: str
    logins: list[DemoLogin] = field(default_factory=list)
    dealer_ids: dict[str, int] = field(default_factory=dict)

    def describe(self, base_domain: str, port: str | int) -> str:
        """The URLs and sign-ins a person needs, ready to print."""
        suffix = "" if str(port) in ("", "80") else f":{port}"
        tenant_root = f"http://{self.tenant_slug}.{base_domain}{suffix}"
        platform_root = f"http://{base_domain}{suffix}"
        lines = [
            f"Demo brand {self.tenant_name} (tenant '{self.tenant_slug}') is ready.",
            "",
            f"  Brand console:     {tenant_root}/console",
            f"  Dealer portal:     {tenant_root}/",
            f"  Platform console:  {platform_root}/platform",
            f"  API docs:          {platform_root}/api/docs",
            "",
            f"Tenant sign-ins (password for every one: {self.password}):",
        ]
        width = max(len(login.email) for login in self.logins)
        for login in self.logins:
            where = f"  {login.dealer}" if login.dealer else ""
            lines.append(f"  {login.role:<13}{login.email:<{width}}  {login.name}{where}")
        lines += [
            "",
            f"Platform operator: {self.platform_email} / {self.platform_password}",
        ]
        return "\n".join(lines)


def seed_demo(app: Flask) -> DemoInfo:
    """Create (or find) the demo brand, its people and dealers, and a platform operator."""
    database = app.extensions["dinghuo.db"]
    with database.transaction() as session:
        _ensure_platform_admin(session)
    with database.transaction() as session:
        tenant, owner = _ensure_tenant(session)
        actor = principal_for_user(owner)
        info = DemoInfo(
            tenant_id=tenant.id,
            tenant_slug=tenant.slug,
            tenant_name=tenant.display_name,
            password=DEMO_PASSWORD,
            platform_email=PLATFORM_EMAIL,
            platform_password=PLATFORM_PASSWORD,
        )
        if tenant.welcome_text != WELCOME_TEXT:
            update_branding(session, actor, tenant, {"welcome_text": WELCOME_TEXT})
        info.logins.append(DemoLogin(Role.OWNER.value, owner.email, owner.name))
        for role, email, name in STAFF:
            user = _ensure_user(session, role, email, name)
            info.logins.append(DemoLogin(role.value, user.email, user.name))
        for spec in DEALERS:
            dealer = _ensure_dealer(session, actor, spec)
            info.dealer_ids[spec.code] = dealer.id
            for role, person in (
                (Role.DEALER_ADMIN, spec.admin_name),
                (Role.BUYER, spec.buyer_name),
            ):
                local = "admin" if role == Role.DEALER_ADMIN else "buyer"
                user = _ensure_user(
                    session, role, f"{local}@{spec.mailbox}", person, dealer_id=dealer.id
                )
                info.logins.append(DemoLogin(role.value, user.email, user.name, dealer.name_zh))
    return info


def _ensure_platform_admin(session: TenantSession) -> PlatformAdmin:
    admin = session.scalar(select(PlatformAdmin).where(PlatformAdmin.email == PLATFORM_EMAIL))
    if admin is None:
        admin = create_platform_admin(
            session, PLATFORM_EMAIL, "平台运维 Platform Ops", PLATFORM_PASSWORD
        )
    return admin


def _ensure_tenant(session: TenantSession) -> tuple[Tenant, User]:
    """The demo tenant and its owner; the session ends up bound to the tenant."""
    tenant = session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
    if tenant is None:
        onboarded = create_tenant(
            session,
            None,
            slug=DEMO_SLUG,
            name=DEMO_NAME,
            display_name=DEMO_DISPLAY_NAME,
            owner_email=OWNER_EMAIL,
            owner_password=DEMO_PASSWORD,
            owner_name=OWNER_NAME,
        )
        return onboarded.tenant, onboarded.owner
    session.bind_tenant(tenant.id)
    return tenant, _ensure_user(session, Role.OWNER, OWNER_EMAIL, OWNER_NAME)


def _ensure_user(
    session: TenantSession, role: Role, email: str, name: str, dealer_id: int | None = None
) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = create_user(
            session, email=email, name=name, role=role, password=DEMO_PASSWORD, dealer_id=dealer_id
        )
    return user


def _ensure_dealer(session: TenantSession, actor: Principal, spec: DemoDealer) -> Dealer:
    dealer = session.scalar(select(Dealer).where(Dealer.code == spec.code))
    if dealer is None:
        dealer = create_dealer(
            session,
            actor,
            code=spec.code,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            tier=spec.tier,
            region=spec.region,
            credit_limit=spec.credit_limit,
            payment_terms=spec.payment_terms,
        )
    return dealer
