"""The demo brand: a 3C brand owner with staff, dealers, catalog, orders and a platform operator.

``dinghuo demo`` (and ``make run``) call :func:`seed_demo` so a fresh checkout
shows a populated console and portal. Everything is created through the same
services the API uses, so the demo data obeys the same rules (audit entries,
tenant guard, validation). Seeding is idempotent: each object is looked up by
its natural key first, so running it again creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from flask import Flask
from sqlalchemy import select

from dinghuo.core.catalog.images import add_image
from dinghuo.core.catalog.models import Brand, Product, ProductStatus, Sku
from dinghuo.core.catalog.service import (
    create_attribute,
    create_brand,
    create_category,
    create_product,
    create_tag,
    set_relations,
    set_visibility,
)
from dinghuo.core.crm.models import AddressKind, Dealer, DealerGroup, PaymentTerms
from dinghuo.core.crm.service import add_address, add_contact, create_dealer, create_group
from dinghuo.core.inventory.channel import ChannelStockLine, report_channel_stock
from dinghuo.core.inventory.reorder import compute_policies, tenant_zone
from dinghuo.core.inventory.service import (
    commit_reservation,
    create_warehouse,
    receive,
    reserve,
)
from dinghuo.core.pricing.models import PriceListKind
from dinghuo.core.pricing.service import create_price_list, set_assignments, upsert_items
from dinghuo.db import TenantSession, utcnow
from dinghuo.demo_orders import seed_orders
from dinghuo.demo_pictures import draw
from dinghuo.platform.auth.models import PlatformAdmin, Role, User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import create_platform_admin, create_user, principal_for_user
from dinghuo.platform.storage import Storage
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
    """Create (or find) the demo brand, its people, dealers, catalog and orders, and a platform
    operator."""
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
        buyers = {}
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
                buyers[spec.code] = principal_for_user(user)
    with database.transaction(info.tenant_id) as session:
        _ensure_catalog(
            session, actor, info.dealer_ids, buyers[OVERSTOCK[0]], app.extensions["dinghuo.storage"]
        )
    seed_orders(database, info.tenant_id, sales_email=STAFF[0][1], warehouse_email=STAFF[1][1])
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


# --- the catalog: a 3C brand's phones, tablets, laptops and accessories -------------------

BRAND_CODE = "DX"
BRAND_NAME = "鼎新 Dingxin"

# code, name_zh, name_en, parent code, spec attributes (code, name_zh, name_en, kind, unit)
CATEGORIES = (
    ("PHONE", "手机", "Phones", None, ()),
    (
        "PHONE-5G",
        "5G 手机",
        "5G phones",
        "PHONE",
        (
            ("screen", "屏幕尺寸", "Screen size", "number", "英寸"),
            ("chip", "芯片", "Chipset", "text", ""),
            ("battery", "电池容量", "Battery", "number", "mAh"),
            ("camera", "主摄像头", "Main camera", "text", ""),
        ),
    ),
    ("FOLD", "折叠屏", "Foldables", "PHONE", ()),
    (
        "TABLET",
        "平板电脑",
        "Tablets",
        None,
        (
            ("screen", "屏幕尺寸", "Screen size", "number", "英寸"),
            ("chip", "芯片", "Chipset", "text", ""),
            ("battery", "电池容量", "Battery", "number", "mAh"),
        ),
    ),
    (
        "LAPTOP",
        "笔记本电脑",
        "Laptops",
        None,
        (
            ("screen", "屏幕尺寸", "Screen size", "number", "英寸"),
            ("cpu", "处理器", "Processor", "text", ""),
            ("weight", "整机重量", "Weight", "number", "kg"),
        ),
    ),
    ("ACC", "配件", "Accessories", None, (("power", "功率", "Power", "text", ""),)),
    ("AUDIO", "耳机音频", "Audio", "ACC", ()),
)


@dataclass(frozen=True)
class DemoProduct:
    """One model of the demo brand; its SKUs are every colour × memory combination."""

    code: str
    name_zh: str
    name_en: str
    model_number: str
    category: str
    colours: tuple[tuple[str, str], ...]
    """(value, code) of each colour."""
    memories: tuple[tuple[str, str, str, str], ...]
    """(value, code, base price, MSRP) of each memory (or configuration)."""
    specs: dict[str, str]
    tags: tuple[str, ...] = ()
    memory_axis: str = "内存"
    moq: int = 1
    order_multiple: int = 1
    weight_g: int = 0
    tier_only: str = ""
    """A tier code: the product is shown to that tier's dealers only (a launch)."""
    description: str = ""


PRODUCTS = (
    DemoProduct(
        "MATE60P",
        "鼎新 Mate 60 Pro",
        "Dingxin Mate 60 Pro",
        "ALN-AL00",
        "PHONE-5G",
        (("雅丹黑", "BLK"), ("白沙银", "SLV"), ("南糯紫", "PUR")),
        (("12+256G", "256", "5999.00", "6499.00"), ("12+512G", "512", "6599.00", "6999.00")),
        {"screen": "6.82", "chip": "麒麟 9000S", "battery": "5000", "camera": "5000 万像素"},
        ("5G", "爆款"),
        weight_g=225,
        description="卫星通话、玄武架构、超可靠昆仑玻璃。\nSatellite calling and Kunlun glass.",
    ),
    DemoProduct(
        "MATE60",
        "鼎新 Mate 60",
        "Dingxin Mate 60",
        "BRA-AL00",
        "PHONE-5G",
        (("雅丹黑", "BLK"), ("雅川青", "GRN")),
        (("12+256G", "256", "4999.00", "5499.00"), ("12+512G", "512", "5499.00", "5999.00")),
        {"screen": "6.69", "chip": "麒麟 9000S", "battery": "4750", "camera": "5000 万像素"},
        ("5G",),
        weight_g=209,
    ),
    DemoProduct(
        "NOVA12",
        "鼎新 nova 12",
        "Dingxin nova 12",
        "BLK-AL80",
        "PHONE-5G",
        (("曜金黑", "BLK"), ("樱语白", "WHT")),
        (("8+256G", "256", "2399.00", "2699.00"), ("12+512G", "512", "2799.00", "3199.00")),
        {"screen": "6.7", "chip": "骁龙 778G", "battery": "4600", "camera": "5000 万像素"},
        ("5G",),
        weight_g=175,
    ),
    DemoProduct(
        "X7",
        "鼎新 X7 折叠屏",
        "Dingxin X7 Fold",
        "X7-FOLD",
        "FOLD",
        (("玄黑", "BLK"),),
        (("16+1T", "1T", "11999.00", "12999.00"),),
        {},
        ("新品", "5G"),
        weight_g=239,
        tier_only="A",
        description="首发：仅向 A 级经销商开放订货。\nLaunch: open to tier A dealers first.",
    ),
    DemoProduct(
        "PAD115",
        "鼎新 MatePad 11.5",
        "Dingxin MatePad 11.5",
        "BTK-W00",
        "TABLET",
        (("深空灰", "GRY"), ("冰霜银", "SLV")),
        (("8+128G", "128", "1799.00", "1999.00"), ("8+256G", "256", "2099.00", "2299.00")),
        {"screen": "11.5", "chip": "骁龙 7 Gen 1", "battery": "7700"},
        weight_g=499,
    ),
    DemoProduct(
        "BOOK14",
        "鼎新 MateBook 14",
        "Dingxin MateBook 14",
        "KLVF-16",
        "LAPTOP",
        (("深空灰", "GRY"),),
        (("i5 16+512G", "I5", "5299.00", "5799.00"), ("i7 16+1T", "I7", "6299.00", "6799.00")),
        {"screen": "14.2", "cpu": "酷睿 Ultra 5 / 7", "weight": "1.31"},
        memory_axis="配置",
        weight_g=1310,
    ),
    DemoProduct(
        "CHG66",
        "66W 超级快充充电器",
        "66W SuperCharge charger",
        "HW-110600C00",
        "ACC",
        (("白色", "WHT"),),
        (("66W", "66W", "99.00", "149.00"),),
        {"power": "66W"},
        memory_axis="功率",
        moq=10,
        order_multiple=10,
        weight_g=120,
    ),
    DemoProduct(
        "CASE60P",
        "Mate 60 Pro 素皮保护壳",
        "Mate 60 Pro leather case",
        "C60P-LTH",
        "ACC",
        (("黑色", "BLK"), ("紫色", "PUR")),
        (("Mate 60 Pro", "60P", "69.00", "129.00"),),
        {},
        memory_axis="适配",
        moq=5,
        order_multiple=5,
        weight_g=40,
    ),
    DemoProduct(
        "BUDS5",
        "鼎新 FreeBuds 5 无线耳机",
        "Dingxin FreeBuds 5",
        "T0013",
        "AUDIO",
        (("冰霜银", "SLV"), ("陶瓷白", "WHT")),
        (("标准版", "STD", "699.00", "999.00"),),
        {"power": "—"},
        memory_axis="版本",
        weight_g=46,
    ),
    DemoProduct(
        "PB12K",
        "12000mAh 超级快充移动电源",
        "12000mAh SuperCharge power bank",
        "P0012",
        "ACC",
        (("白色", "WHT"),),
        (("12000mAh", "12K", "159.00", "229.00"),),
        {"power": "40W"},
        ("爆款",),
        memory_axis="容量",
        moq=10,
        order_multiple=10,
        weight_g=230,
    ),
)

PICTURE_KINDS = {"PHONE-5G": "phone", "FOLD": "fold", "TABLET": "tablet", "LAPTOP": "laptop"}
ACCESSORIES = {"MATE60P": ("CHG66", "CASE60P", "BUDS5", "PB12K"), "MATE60": ("CHG66", "BUDS5")}
REPLACEMENTS = {"MATE60": ("MATE60P",)}

# price list code, name, tier, discount off base, extra breaks (min_qty, further discount)
TIER_LISTS = (
    ("TIER-A", "A 级经销价 Tier A", "A", "0.06", ((10, "0.02"), (50, "0.04"))),
    ("TIER-B", "B 级经销价 Tier B", "B", "0.03", ((20, "0.02"),)),
)
CONTRACT = ("CT-GZ002", "讯通年度合同价 Xuntong annual contract", "GZ002", ("NOVA12",), "0.10")

# warehouse code, name, region, share of each SKU's stock
WAREHOUSES = (
    ("HZ", "杭州中心仓 Hangzhou hub", "华东 East China", 0.6),
    ("GZ", "广州华南仓 Guangzhou", "华南 South China", 0.4),
)
OUT_OF_STOCK = frozenset({"MATE60P-PUR-512", "PAD115-SLV-256"})
SHIPMENTS = {
    "MATE60P-BLK-512": 48,
    "MATE60P-BLK-256": 30,
    "NOVA12-BLK-256": 24,
    "CHG66-WHT-66W": 200,
}
"""Units shipped to dealers at seeding time, so reorder points have demand to work from."""

OVERSTOCK = ("CD003", "NOVA12-BLK-256", 160, 12, 30)
"""(dealer, SKU, on hand, sold, over days): a dealer sitting on a year of one phone."""


def _ensure_catalog(
    session: TenantSession,
    actor: Principal,
    dealer_ids: dict[str, int],
    reporter: Principal,
    files: Storage,
) -> None:
    """The brand's catalog with pictures, prices, stock and a dealer's channel stock, once.

    The brand is the natural key of the whole catalog: when it exists, all of
    this was seeded in one earlier transaction and nothing is added again.
    """
    if session.scalar(select(Brand).where(Brand.code == BRAND_CODE)) is not None:
        return
    brand = create_brand(session, actor, code=BRAND_CODE, name=BRAND_NAME)
    categories = _create_categories(session, actor)
    tag_names = sorted({tag for product in PRODUCTS for tag in product.tags})
    tags = {name: create_tag(session, actor, name=name).id for name in tag_names}
    products = {
        spec.code: _create_product(session, actor, spec, brand.id, categories, tags)
        for spec in PRODUCTS
    }
    for spec in PRODUCTS:
        kind = PICTURE_KINDS.get(spec.category, "accessory")
        for colour, _code in spec.colours:
            add_image(
                session,
                actor,
                products[spec.code].id,
                draw(kind, colour),
                files=files,
                alt=f"{spec.name_zh} {colour}",
            )
    for code, related in ACCESSORIES.items():
        relations = [{"related_id": products[r].id, "kind": "accessory"} for r in related]
        relations += [
            {"related_id": products[r].id, "kind": "replacement"}
            for r in REPLACEMENTS.get(code, ())
        ]
        set_relations(session, actor, products[code].id, relations)
    for spec in PRODUCTS:
        if spec.tier_only:
            set_visibility(
                session, actor, products[spec.code].id, [{"scope": "tier", "value": spec.tier_only}]
            )
    skus = {sku.code: sku for product in products.values() for sku in product.skus}
    _create_price_lists(session, actor, products, dealer_ids)
    _stock_and_ship(session, actor, skus)
    dealer, sku_code, on_hand, sold, days = OVERSTOCK
    report_channel_stock(
        session,
        reporter,
        dealer_ids[dealer],
        [ChannelStockLine(skus[sku_code].id, on_hand, sold, days)],
        source="form",
    )


def _create_categories(session: TenantSession, actor: Principal) -> dict[str, int]:
    ids: dict[str, int] = {}
    for code, name_zh, name_en, parent, attributes in CATEGORIES:
        category = create_category(
            session,
            actor,
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            parent_id=ids[parent] if parent else None,
        )
        ids[code] = category.id
        for attr_code, attr_zh, attr_en, kind, unit in attributes:
            create_attribute(
                session,
                actor,
                category.id,
                code=attr_code,
                name_zh=attr_zh,
                name_en=attr_en,
                kind=kind,
                unit=unit,
            )
    return ids


def _create_product(
    session: TenantSession,
    actor: Principal,
    spec: DemoProduct,
    brand_id: int,
    categories: dict[str, int],
    tags: dict[str, int],
) -> Product:
    """The product with one SKU per colour × memory, priced by memory."""
    skus = []
    for colour, colour_code in spec.colours:
        for memory, memory_code, base_price, msrp in spec.memories:
            skus.append(
                {
                    "code": f"{spec.code}-{colour_code}-{memory_code}",
                    "barcode": _ean13(f"69414872{len(skus):02d}{PRODUCTS.index(spec):02d}"),
                    "variant": {"颜色": colour, spec.memory_axis: memory},
                    "base_price": Decimal(base_price),
                    "msrp": Decimal(msrp),
                    "moq": spec.moq,
                    "order_multiple": spec.order_multiple,
                    "weight_g": spec.weight_g,
                }
            )
    return create_product(
        session,
        actor,
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        model_number=spec.model_number,
        description=spec.description,
        brand_id=brand_id,
        category_id=categories[spec.category],
        status=ProductStatus.ACTIVE,
        variant_axes=["颜色", spec.memory_axis],
        tag_ids=[tags[name] for name in spec.tags],
        skus=skus,
        specs=spec.specs,
    )


def _ean13(first12: str) -> str:
    """A valid EAN-13: the 12 digits and their check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _create_price_lists(
    session: TenantSession,
    actor: Principal,
    products: dict[str, Product],
    dealer_ids: dict[str, int],
) -> None:
    """A list per tier (cheaper from 10 and 50 units) and one dealer's contract prices."""
    every_sku = [sku for product in products.values() for sku in product.skus]
    for code, name, tier, discount, breaks in TIER_LISTS:
        price_list = create_price_list(session, actor, code=code, name=name)
        set_assignments(session, actor, price_list.id, [{"scope": "tier", "value": tier}])
        rows = []
        for sku in every_sku:
            rows.append({"sku_id": sku.id, "price": _off(sku.base_price, discount)})
            for min_qty, more in breaks:
                if min_qty > sku.moq:
                    total = Decimal(discount) + Decimal(more)
                    rows.append(
                        {"sku_id": sku.id, "min_qty": min_qty, "price": _off(sku.base_price, total)}
                    )
        upsert_items(session, actor, price_list.id, rows)
    code, name, dealer, product_codes, discount = CONTRACT
    contract = create_price_list(session, actor, code=code, name=name, kind=PriceListKind.CONTRACT)
    set_assignments(session, actor, contract.id, [{"scope": "dealer", "value": dealer_ids[dealer]}])
    upsert_items(
        session,
        actor,
        contract.id,
        [
            {"sku_id": sku.id, "price": _off(sku.base_price, discount)}
            for product_code in product_codes
            for sku in products[product_code].skus
        ],
    )


def _off(price: Decimal, discount: str | Decimal) -> Decimal:
    """``price`` less ``discount`` (a fraction), rounded down to a whole yuan."""
    return (price * (1 - Decimal(discount))).quantize(Decimal("1"), rounding=ROUND_FLOOR)


def _stock_and_ship(session: TenantSession, actor: Principal, skus: dict[str, Sku]) -> None:
    """Stock in both warehouses, a few shipments, then reorder points from that demand."""
    warehouses = [
        create_warehouse(session, actor, code=code, name=name, region=region)
        for code, name, region, _share in WAREHOUSES
    ]
    for index, (code, sku) in enumerate(sorted(skus.items())):
        if code in OUT_OF_STOCK:
            continue
        total = 600 if sku.moq > 1 else 12 if code.startswith("X7") else 60 + 20 * (index % 4)
        total += SHIPMENTS.get(code, 0)
        for warehouse, (*_fields, share) in zip(warehouses, WAREHOUSES, strict=True):
            receive(
                session,
                actor,
                warehouse_id=warehouse.id,
                sku_id=sku.id,
                quantity=round(total * share),
                reason="期初入库 Opening stock",
            )
    for number, (code, quantity) in enumerate(sorted(SHIPMENTS.items()), start=1):
        reservation = reserve(
            session,
            actor,
            sku_id=skus[code].id,
            quantity=quantity,
            reference_type="demo",
            reference_id=f"SO-DEMO-{number:03d}",
        )
        commit_reservation(session, actor, reservation.id, "发货 Shipped to dealers")
    # The demand window ends before "today": count from tomorrow, so today's shipments are in it.
    tomorrow = utcnow().astimezone(tenant_zone(session)).date() + dt.timedelta(days=1)
    compute_policies(session, today=tomorrow)
