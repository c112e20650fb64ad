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

from dinghuo.core.crm.models import AddressKind, Dealer, DealerGroup, PaymentTerms
from dinghuo.core.crm.service import add_address, add_contact, create_dealer, create_group
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
class DemoAddress:
    province: str
    city: str
    district: str
    street: str
    postal_code: str
    phone: str


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
    address: DemoAddress
    key_account: bool


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
        address=DemoAddress(
            "浙江省",
            "杭州市",
            "西湖区",
            "文三路 90 号东部软件园 3 号楼 5 层",
            "310012",
            "13805710001",
        ),
        key_account=True,
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
        address=DemoAddress(
            "广东省",
            "广州市",
            "天河区",
            "天河路 208 号粤海天河城大厦 12 层",
            "510620",
            "13902200002",
        ),
        key_account=True,
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
        address=DemoAddress(
            "四川省",
            "成都市",
            "武侯区",
            "人民南路四段 1 号数码广场 2 楼 A-18",
            "610041",
            "13708280003",
        ),
        key_account=False,
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
        staff = {}
        for role, email, name in STAFF:
            staff[role] = user = _ensure_user(session, role, email, name)
            info.logins.append(DemoLogin(role.value, user.email, user.name))
        key_accounts = _ensure_key_account_group(session, actor)
        for spec in DEALERS:
            dealer = _ensure_dealer(
                session, actor, spec, sales_rep=staff[Role.SALES], group=key_accounts
            )
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


def _ensure_key_account_group(session: TenantSession, actor: Principal) -> DealerGroup:
    group = session.scalar(select(DealerGroup).where(DealerGroup.code == "KEY"))
    if group is None:
        group = create_group(session, actor, code="KEY", name="重点客户 Key accounts")
    return group


def _ensure_dealer(
    session: TenantSession,
    actor: Principal,
    spec: DemoDealer,
    *,
    sales_rep: User,
    group: DealerGroup,
) -> Dealer:
    """The dealer with its sales rep, ship-to and bill-to addresses and a contact."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == spec.code))
    if dealer is not None:
        return dealer
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
        sales_rep_id=sales_rep.id,
        group_ids=[group.id] if spec.key_account else [],
    )
    where = spec.address
    for kind, label in (
        (AddressKind.SHIP_TO, "仓库 Warehouse"),
        (AddressKind.BILL_TO, "财务 Finance"),
    ):
        add_address(
            session,
            actor,
            dealer.id,
            kind=kind,
            label=label,
            recipient=spec.admin_name.split()[0],
            phone=where.phone,
            province=where.province,
            city=where.city,
            district=where.district,
            street=where.street,
            postal_code=where.postal_code,
            is_default=True,
        )
    add_contact(
        session,
        actor,
        dealer.id,
        name=spec.admin_name,
        title="采购经理 Purchasing manager",
        phone=where.phone,
        email=f"admin@{spec.mailbox}",
    )
    return dealer
